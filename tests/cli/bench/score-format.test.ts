import { describe, expect, it } from 'vitest';
import { formatScores } from '../../../src/cli/bench/score-format.js';
import { scoreShotBench } from '../../../src/shot/scoring.js';

const first = {
  name: 'a.jsonl',
  score: scoreShotBench([
    { category: 'shot size', answer: 'A', letter: 'A' },
    { category: 'lighting', answer: 'A', letter: 'B' },
  ]),
};
const second = {
  name: 'b.jsonl',
  score: scoreShotBench([
    { category: 'shot size', answer: 'A', letter: 'B' },
    { category: 'lighting', answer: 'A', letter: 'A' },
    { category: 'lighting', answer: 'A', letter: null },
  ]),
};

describe('formatScores', () => {
  it('aligns a text table, marks partial averages and separates the differences', () => {
    expect(formatScores([first, second], 'table', true)).toBe(
      [
        'Run                    SS  SF  CA  LS  LT     LC  SC  CM    Avg  Overall  Items  Undecided',
        'a.jsonl             100.0   -   -   -   -    0.0   -   -  50.0*     50.0      2          0',
        'b.jsonl               0.0   -   -   -   -   50.0   -   -  25.0*     33.3      3          1',
        '------------------------------------------------------------------------------------------',
        'b.jsonl - a.jsonl  -100.0   -   -   -   -  +50.0   -   -  -25.0    -16.7',
        '* Avg over the dimensions present; the paper averages all eight.',
        'Undecided: outputs no rule (nor judge) could map to an option; scored as misses.',
      ].join('\n'),
    );
  });

  it('writes JSON with every dimension keyed by its abbreviation', () => {
    const json = JSON.parse(formatScores([first, second], 'json', true)) as {
      runs: {
        name: string;
        categories: Record<string, { accuracy: number | null }>;
        average: number;
        average_covers_all_categories: boolean;
      }[];
      differences: { name: string; categories: Record<string, number | null>; overall: number }[];
    };
    expect(Object.keys(json.runs[0]?.categories ?? {})).toEqual(['SS', 'SF', 'CA', 'LS', 'LT', 'LC', 'SC', 'CM']);
    expect(json.runs[1]).toMatchObject({ name: 'b.jsonl', average: 0.25, average_covers_all_categories: false });
    expect(json.differences[0]).toMatchObject({ name: 'b.jsonl - a.jsonl', categories: { SS: -1, LC: 0.5, CM: null } });
    expect(json.differences[0]?.overall).toBeCloseTo(1 / 3 - 1 / 2, 12);
  });

  it('shows tiny negative differences as no change', () => {
    const tiny = { name: 't', score: { ...first.score, overall: { ...first.score.overall, accuracy: 0.4999999 } } };
    expect(formatScores([first, tiny], 'markdown', true).split('\n')[4]).toContain('| +0.0 |');
  });
});
