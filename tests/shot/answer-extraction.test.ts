import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  extractAnswerLetter,
  extractAnswerTag,
  inferOptionLetter,
  inferOptionText,
} from '../../src/shot/answer-extraction.js';
import { isShotCategory } from '../../src/shot/dimensions.js';
import { scoreShotBench } from '../../src/shot/scoring.js';
import type { ScorableItem } from '../../src/shot/scoring.js';
import { readSharedPredictions, readSharedQuestions } from './shotbench-data.js';

const options = { A: 'Extreme Close Up', B: 'Medium Close Up', C: 'Close Up', D: 'Medium Wide' };

describe('extractAnswerTag', () => {
  it('takes the first tag, case-insensitive, across lines, stripped', () => {
    expect(extractAnswerTag('<think>x</think> <ANSWER>\n B \n</Answer><answer>C</answer>')).toBe('B');
    expect(extractAnswerTag('  no tag here\n')).toBe('no tag here');
    expect(extractAnswerTag('<answer>B')).toBe('<answer>B');
  });

  it('strips what Python strips (U+0085, U+001C) and keeps what it keeps (U+FEFF)', () => {
    expect(extractAnswerTag('\u0085B\u001c')).toBe('B');
    expect(extractAnswerTag('\ufeffB')).toBe('\ufeffB');
  });
});

describe('the option rule', () => {
  it('decides on exactly one letter token', () => {
    expect(inferOptionLetter('(B)', options)).toBe('B');
    expect(inferOptionLetter('B. Medium Close Up', options)).toBe('B');
    expect(inferOptionLetter('**D**', options)).toBe('D');
    expect(inferOptionLetter('B B', options)).toBe('B');
  });

  it('splits on exactly the official punctuation .()[],:;!*#{}', () => {
    for (const character of '.()[],:;!*#{}')
      expect(inferOptionLetter(`Answer${character}B${character}`, options)).toBe('B');
    for (const character of '"\'-_/<>?')
      expect(inferOptionLetter(`Answer ${character}B${character}`, options)).toBeNull();
  });

  it('is undecided on several letters or none', () => {
    expect(inferOptionLetter('A or B', options)).toBeNull();
    expect(inferOptionLetter('Medium Close Up', options)).toBeNull();
    expect(inferOptionLetter('B-roll', options)).toBeNull();
  });

  it('reads a lone Z token as no answer', () => {
    expect(inferOptionLetter('Z', options)).toBe('Z');
    expect(inferOptionLetter('A Z', options)).toBe('A');
  });

  it('ignores options with empty text, as build_choices drops them', () => {
    expect(inferOptionLetter('A or D', { A: 'x', B: 'y', C: 'z', D: '' })).toBe('A');
  });
});

describe('the text rule', () => {
  it('decides when exactly one option text occurs', () => {
    expect(inferOptionText('the shot is a medium wide', options)).toBe('D');
  });

  it('is undecided when one option text contains another', () => {
    // "Close Up" occurs inside "Medium Close Up": two hits, as in the official scorer.
    expect(inferOptionText('medium close up', options)).toBeNull();
  });
});

describe('extractAnswerLetter', () => {
  it('tries tag, then option rule, then text rule', () => {
    expect(extractAnswerLetter('<think>A or B?</think><answer>C</answer>', options)).toMatchObject({
      letter: 'C',
      rule: 'option',
    });
    expect(extractAnswerLetter('<answer>Medium Wide</answer>', options)).toMatchObject({ letter: 'D', rule: 'text' });
    expect(extractAnswerLetter('<answer>Z</answer>', options)).toMatchObject({
      letter: 'Z',
      rule: 'no-answer',
      decided: true,
    });
    expect(extractAnswerLetter('<think>A or B</think>', options)).toMatchObject({ decided: false, letter: null });
  });

  it('finds any tagged letter whatever surrounds it (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('A', 'B', 'C', 'D'), fc.string(), (letter, thinking) => {
        const output = `<think>${thinking.replaceAll('<', ' ')}</think><answer> ${letter}. </answer>`;
        expect(extractAnswerLetter(output, options).letter).toBe(letter);
      }),
    );
  });
});

describe('official ShotVL-3B predictions (fixtures/shotbench/shotvl3b_predictions_run1.jsonl)', () => {
  const questions = new Map(readSharedQuestions().map((question) => [question.index, question]));
  const rows = readSharedPredictions().map((prediction) => {
    const question = questions.get(prediction.index);
    if (question === undefined || !isShotCategory(question.category))
      throw new Error(`no question ${prediction.index}`);
    return {
      prediction,
      question,
      category: question.category,
      extraction: extractAnswerLetter(prediction.prediction, question.options),
    };
  });

  it('agrees with the official pred_letter on every row the rules decide', () => {
    expect(rows).toHaveLength(3572);
    const disagreements = rows.filter(
      (row) => row.extraction.decided && row.extraction.letter !== row.prediction.pred_letter,
    );
    expect(disagreements.map((row) => row.prediction.index)).toEqual([]);
  });

  it('leaves exactly 31 rows undecided (the ones the official scorer sent to GPT-4o)', () => {
    const undecided = rows.filter((row) => !row.extraction.decided);
    expect(undecided).toHaveLength(31);
    const byCategory: Record<string, number> = {};
    for (const row of undecided) byCategory[row.category] = (byCategory[row.category] ?? 0) + 1;
    expect(byCategory).toEqual({ 'shot size': 1, 'shot framing': 2, 'camera movement': 28 });
    const rules: Record<string, number> = {};
    for (const row of rows)
      if (row.extraction.decided) rules[row.extraction.rule] = (rules[row.extraction.rule] ?? 0) + 1;
    expect(rules).toEqual({ option: 3531, text: 10 });
  });

  // Expected counts computed by running the official calculate_scores.py rules in Python.
  it('scores the rules-only table (undecided rows count as misses)', () => {
    const items: ScorableItem[] = rows.map((row) => ({
      category: row.category,
      answer: row.question.answer,
      letter: row.extraction.letter,
    }));
    const score = scoreShotBench(items);
    expect(score.undecided).toBe(31);
    expect(score.categories.map((category) => [category.abbreviation, category.correct, category.total])).toEqual([
      ['SS', 382, 485],
      ['SF', 382, 445],
      ['CA', 317, 455],
      ['LS', 296, 489],
      ['LT', 270, 405],
      ['LC', 188, 350],
      ['SC', 269, 479],
      ['CM', 206, 464],
    ]);
    expect(score.overall).toMatchObject({ total: 3572, correct: 2310 });
  });
});
