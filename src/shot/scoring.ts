/**
 * ShotBench accuracy as the paper reports it: per-dimension accuracy = hits / items (ShotBench
 * `evaluation/calculate_scores.py` groups by `category`), "Avg" = the unweighted mean of the eight
 * dimension accuracies (the README's results table), and "Overall" = hits / items over everything
 * (the scorer's "Overall" row). An item whose answer no rule and no judge could decide counts as
 * a miss and is reported as undecided; the official scorer would have drawn a random letter.
 */
import { SHOT_CATEGORIES, shotDimension } from './dimensions.js';
import type { ShotCategory } from './dimensions.js';

export interface ScorableItem {
  readonly category: ShotCategory;
  /** The correct letter. */
  readonly answer: string;
  /** The extracted letter (`Z` for "no answer"), or null when undecided. */
  readonly letter: string | null;
}

export interface CategoryScore {
  readonly category: ShotCategory;
  readonly abbreviation: string;
  readonly total: number;
  readonly correct: number;
  /** correct / total, or null for a dimension with no items in this run. */
  readonly accuracy: number | null;
  readonly undecided: number;
}

export interface ShotBenchScore {
  /** All eight dimensions, in the paper's column order. */
  readonly categories: readonly CategoryScore[];
  /** Mean of the dimension accuracies present; null when no dimension has items. */
  readonly average: number | null;
  /** Whether all eight dimensions have items, i.e. `average` is the paper's Avg. */
  readonly averageCoversAllCategories: boolean;
  readonly overall: { readonly total: number; readonly correct: number; readonly accuracy: number | null };
  readonly undecided: number;
}

export function isHit(item: ScorableItem): boolean {
  return item.letter !== null && item.letter === item.answer;
}

export function scoreShotBench(items: Iterable<ScorableItem>): ShotBenchScore {
  const tallies = new Map<ShotCategory, { total: number; correct: number; undecided: number }>(
    SHOT_CATEGORIES.map((category) => [category, { total: 0, correct: 0, undecided: 0 }]),
  );
  for (const item of items) {
    const tally = tallies.get(item.category);
    if (tally === undefined) throw new RangeError(`unknown ShotBench category '${String(item.category)}'`);
    tally.total += 1;
    if (isHit(item)) tally.correct += 1;
    if (item.letter === null) tally.undecided += 1;
  }
  const categories = SHOT_CATEGORIES.map((category): CategoryScore => {
    const tally = tallies.get(category) ?? { total: 0, correct: 0, undecided: 0 };
    return {
      category,
      abbreviation: shotDimension(category).abbreviation,
      ...tally,
      accuracy: tally.total > 0 ? tally.correct / tally.total : null,
    };
  });
  const present = categories.flatMap((score) => (score.accuracy === null ? [] : [score.accuracy]));
  const total = categories.reduce((sum, score) => sum + score.total, 0);
  const correct = categories.reduce((sum, score) => sum + score.correct, 0);
  return {
    categories,
    average: present.length > 0 ? present.reduce((sum, accuracy) => sum + accuracy, 0) / present.length : null,
    averageCoversAllCategories: present.length === SHOT_CATEGORIES.length,
    overall: { total, correct, accuracy: total > 0 ? correct / total : null },
    undecided: categories.reduce((sum, score) => sum + score.undecided, 0),
  };
}

export interface ScoreDifference {
  /** Per dimension in column order: `other - baseline` accuracy, null if either lacks items. */
  readonly categories: readonly {
    readonly category: ShotCategory;
    readonly abbreviation: string;
    readonly difference: number | null;
  }[];
  readonly average: number | null;
  readonly overall: number | null;
}

function subtract(other: number | null, baseline: number | null): number | null {
  return other === null || baseline === null ? null : other - baseline;
}

/** How `other` differs from `baseline`, in accuracy fractions (0.012 = +1.2 points). */
export function scoreDifference(baseline: ShotBenchScore, other: ShotBenchScore): ScoreDifference {
  return {
    categories: baseline.categories.map((score, position) => ({
      category: score.category,
      abbreviation: score.abbreviation,
      difference: subtract(other.categories[position]?.accuracy ?? null, score.accuracy),
    })),
    average: subtract(other.average, baseline.average),
    overall: subtract(other.overall.accuracy, baseline.overall.accuracy),
  };
}
