/**
 * From the probability of each option letter to what `/analyze-shot` reports for a dimension: a
 * distribution over exactly the dimension's labels (summing to 1), the most probable label, and its
 * probability as the confidence.
 */
import type { ShotOptions } from '../question-prompt.js';

/** Label -> probability, in the dimension's vocabulary order. */
export type LabelDistribution = Readonly<Record<string, number>>;

export interface DimensionEstimate {
  readonly label: string;
  readonly confidence: number;
  readonly distribution: LabelDistribution;
}

function finiteNonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * The label distribution for letter probabilities (`{"A": 0.7, "B": 0.2, ...}`). Letters that are
 * not options are ignored, options with no (or an invalid) probability get 0, and the rest is
 * renormalised so the values sum to 1 over the options. If nothing is left (every option had
 * probability 0), the distribution is uniform: the evidence says nothing, and a uniform answer says so.
 */
export function labelDistribution(
  options: ShotOptions,
  letterProbabilities: Readonly<Record<string, number>>,
): LabelDistribution {
  const entries = Object.entries(options);
  if (entries.length === 0) throw new RangeError('a dimension needs at least one option');
  const masses = entries.map(([letter]) => finiteNonNegative(letterProbabilities[letter]));
  const total = masses.reduce((sum, mass) => sum + mass, 0);
  const distribution: Record<string, number> = {};
  entries.forEach(([, label], position) => {
    // Labels are distinct within a vocabulary; summing guards against a caller's duplicate anyway.
    const share = total > 0 ? (masses[position] as number) / total : 1 / entries.length;
    distribution[label] = (distribution[label] ?? 0) + share;
  });
  return distribution;
}

/** The most probable label (the first in vocabulary order on ties) and its probability. */
export function estimateFromDistribution(distribution: LabelDistribution): DimensionEstimate {
  let label: string | undefined;
  let confidence = -1;
  for (const [candidate, probability] of Object.entries(distribution)) {
    if (probability > confidence) {
      label = candidate;
      confidence = probability;
    }
  }
  if (label === undefined) throw new RangeError('an empty distribution has no label');
  return { label, confidence, distribution };
}

/** Both steps: letter probabilities -> `{label, confidence, distribution}`. */
export function estimateDimension(
  options: ShotOptions,
  letterProbabilities: Readonly<Record<string, number>>,
): DimensionEstimate {
  return estimateFromDistribution(labelDistribution(options, letterProbabilities));
}

/**
 * The estimate when the label was decided elsewhere (reasoning mode: the model's parsed answer) and
 * the distribution only supplies the probabilities: the label is kept, its confidence is what the
 * distribution gives it.
 */
export function estimateForLabel(label: string, distribution: LabelDistribution): DimensionEstimate {
  if (!(label in distribution)) throw new RangeError(`'${label}' is not one of the dimension's labels`);
  return { label, confidence: distribution[label] as number, distribution };
}
