// Letter probabilities -> a distribution over exactly the dimension's labels.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analysisQuestion } from '../../../src/shot/analysis/analysis-question.js';
import {
  estimateDimension,
  estimateForLabel,
  labelDistribution,
} from '../../../src/shot/analysis/label-distribution.js';
import { analysisVocabulary } from '../../../src/shot/analysis/analysis-dimensions.js';
import { SHOT_CATEGORIES } from '../../../src/shot/dimensions.js';

const sum = (values: Record<string, number>) => Object.values(values).reduce((total, value) => total + value, 0);

describe('labelDistribution', () => {
  it('maps letters to labels and renormalises over the options', () => {
    const { options } = analysisQuestion('camera angle', 'fast');
    const distribution = labelDistribution(options, { A: 0.2, D: 0.6, Z: 0.5, E: Number.NaN });
    expect(Object.keys(distribution)).toEqual(['Aerial', 'Dutch angle', 'High angle', 'Low angle', 'Overhead']);
    expect(distribution['Aerial']).toBeCloseTo(0.25, 12);
    expect(distribution['Low angle']).toBeCloseTo(0.75, 12);
    expect(distribution['Overhead']).toBe(0);
  });

  it('is uniform when no option has any probability', () => {
    const { options } = analysisQuestion('lens size', 'fast');
    expect(Object.values(labelDistribution(options, {}))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('always sums to 1 over exactly the vocabulary, and its label is from the vocabulary (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SHOT_CATEGORIES),
        fc.dictionary(
          fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
          fc.oneof(fc.double({ min: -1, max: 10 }), fc.constant(Number.POSITIVE_INFINITY)),
        ),
        (category, letters) => {
          const { options } = analysisQuestion(category, 'fast');
          const estimate = estimateDimension(options, letters);
          expect(Object.keys(estimate.distribution)).toEqual([...analysisVocabulary(category)]);
          expect(sum(estimate.distribution)).toBeCloseTo(1, 9);
          expect(analysisVocabulary(category)).toContain(estimate.label);
          expect(estimate.confidence).toBe(estimate.distribution[estimate.label]);
          expect(Math.max(...Object.values(estimate.distribution))).toBe(estimate.confidence);
        },
      ),
    );
  });
});

describe('estimates', () => {
  it('pick the most probable label, the first in vocabulary order on ties', () => {
    const { options } = analysisQuestion('composition', 'fast');
    expect(estimateDimension(options, { B: 0.4, C: 0.4, A: 0.2 })).toMatchObject({ label: 'Center', confidence: 0.4 });
  });

  it('keep a label decided elsewhere with the probability the distribution gives it', () => {
    const { options } = analysisQuestion('composition', 'fast');
    const distribution = labelDistribution(options, { A: 0.9, B: 0.1 });
    expect(estimateForLabel('Center', distribution)).toMatchObject({ label: 'Center', confidence: 0.1 });
    expect(() => estimateForLabel('Diagonal', distribution)).toThrow(RangeError);
  });
});
