import { describe, expect, it } from 'vitest';
import { isShotCategory } from '../../src/shot/dimensions.js';
import { scoreDifference, scoreShotBench } from '../../src/shot/scoring.js';
import type { ScorableItem } from '../../src/shot/scoring.js';
import { readSharedJson, readSharedPredictions } from './shotbench-data.js';

interface OfficialAccuracy {
  rows: { category: string; total: number; correct: number; accuracy: number }[];
}

describe('scoreShotBench', () => {
  it('reproduces the official accuracy file from the official pred_letter column', () => {
    const items: ScorableItem[] = readSharedPredictions().map((row) => {
      if (!isShotCategory(row.category)) throw new Error(row.category);
      return { category: row.category, answer: row.answer, letter: row.pred_letter };
    });
    const score = scoreShotBench(items);
    const official = readSharedJson<OfficialAccuracy>('shotvl3b_predictions_run1.accuracy.json').rows;
    for (const row of official) {
      if (row.category === 'Overall') {
        expect(score.overall).toEqual({ total: row.total, correct: row.correct, accuracy: row.accuracy });
        continue;
      }
      const category = score.categories.find((candidate) => candidate.category === row.category);
      expect(category).toMatchObject({ total: row.total, correct: row.correct });
      expect(category?.accuracy).toBeCloseTo(row.accuracy, 12);
    }
    // Avg is the mean of the eight dimension accuracies, not Overall.
    const mean = official.filter((row) => row.category !== 'Overall').reduce((sum, row) => sum + row.accuracy, 0) / 8;
    expect(score.average).toBeCloseTo(mean, 12);
    expect(score.average).not.toBeCloseTo(score.overall.accuracy ?? 0, 3);
    expect(score.averageCoversAllCategories).toBe(true);
    expect(score.undecided).toBe(0);
  });

  it('averages only the dimensions present and counts undecided answers as misses', () => {
    const score = scoreShotBench([
      { category: 'shot size', answer: 'A', letter: 'A' },
      { category: 'shot size', answer: 'B', letter: null },
      { category: 'camera movement', answer: 'C', letter: 'Z' },
      { category: 'camera movement', answer: 'C', letter: 'C' },
      { category: 'camera movement', answer: 'D', letter: 'D' },
    ]);
    expect(score.categories[0]).toMatchObject({
      abbreviation: 'SS',
      total: 2,
      correct: 1,
      accuracy: 0.5,
      undecided: 1,
    });
    expect(score.categories[1]).toMatchObject({ abbreviation: 'SF', total: 0, accuracy: null });
    expect(score.categories[7]).toMatchObject({ abbreviation: 'CM', total: 3, correct: 2 });
    expect(score.average).toBeCloseTo((0.5 + 2 / 3) / 2, 12);
    expect(score.averageCoversAllCategories).toBe(false);
    expect(score.overall).toEqual({ total: 5, correct: 3, accuracy: 0.6 });
    expect(score.undecided).toBe(1);
  });

  it('gives null accuracies for an empty run', () => {
    const score = scoreShotBench([]);
    expect(score.average).toBeNull();
    expect(score.overall.accuracy).toBeNull();
  });
});

describe('scoreDifference', () => {
  it('subtracts per dimension, leaving missing dimensions null', () => {
    const baseline = scoreShotBench([
      { category: 'shot size', answer: 'A', letter: 'B' },
      { category: 'lens size', answer: 'A', letter: 'A' },
    ]);
    const other = scoreShotBench([{ category: 'shot size', answer: 'A', letter: 'A' }]);
    const difference = scoreDifference(baseline, other);
    expect(difference.categories[0]).toEqual({ category: 'shot size', abbreviation: 'SS', difference: 1 });
    expect(difference.categories[3]?.difference).toBeNull();
    expect(difference.overall).toBeCloseTo(0.5, 12);
    expect(difference.average).toBeCloseTo(0.5, 12);
  });
});
