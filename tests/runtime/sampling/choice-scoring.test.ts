import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChoiceConstraint, ChoiceTrie } from '../../../src/runtime/sampling/choice-constraint.js';
import {
  evaluateChoices,
  scoreChoices,
  scoreSingleTokenChoices,
} from '../../../src/runtime/sampling/choice-scoring.js';

const VOCABULARY = 16;
const END = 15;

/** A deterministic fake model: next-token logits as a function of the prefix. */
function fakeModel(seed: number): (prefix: readonly number[]) => Float32Array {
  return (prefix) => {
    let state = (seed ^ 0x9e3779b9) >>> 0;
    for (const tokenId of prefix) state = Math.imul(state ^ (tokenId + 1), 0x85ebca6b) >>> 0;
    return Float32Array.from({ length: VOCABULARY }, (_, index) => {
      state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + index) >>> 0;
      return (state / 2 ** 32) * 16 - 8;
    });
  };
}

function logSoftmax(logits: Float32Array, tokenIds: readonly number[]): number {
  const values = Array.from(logits);
  const max = Math.max(...values);
  const normaliser = max + Math.log(values.reduce((total, value) => total + Math.exp(value - max), 0));
  return Math.log(tokenIds.reduce((total, tokenId) => total + Math.exp((logits[tokenId] as number) - normaliser), 0));
}

/** P(choice) by walking each choice through the model on its own, no trie. */
function bruteForce(choices: readonly number[][], model: (prefix: readonly number[]) => Float32Array): number[] {
  const isPrefixOfAnother = (choice: number[]) =>
    choices.some((other) => other.length > choice.length && choice.every((tokenId, index) => other[index] === tokenId));
  const logProbabilities = choices.map((choice) => {
    let total = 0;
    choice.forEach((tokenId, index) => {
      total += logSoftmax(model(choice.slice(0, index)), [tokenId]);
    });
    if (isPrefixOfAnother(choice)) total += logSoftmax(model(choice), [END]);
    return total;
  });
  const max = Math.max(...logProbabilities);
  const weights = logProbabilities.map((value) => Math.exp(value - max));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((weight) => weight / sum);
}

const choiceSets = fc.uniqueArray(fc.array(fc.integer({ min: 0, max: 14 }), { minLength: 1, maxLength: 4 }), {
  minLength: 1,
  maxLength: 6,
  selector: (tokens) => tokens.join(','),
});

describe('ChoiceTrie and ChoiceConstraint', () => {
  it('allows only continuations and completes on a leaf', () => {
    const trie = new ChoiceTrie([[1, 2], [1, 3], [4]]);
    const constraint = new ChoiceConstraint(trie);
    expect(constraint.allowedTokenIds().sort()).toEqual([1, 4]);
    const logits = Float32Array.of(9, 1, 9, 9, 2, 9);
    constraint.maskLogits(logits);
    expect([...logits]).toEqual([-Infinity, 1, -Infinity, -Infinity, 2, -Infinity]);
    expect(constraint.advance(1)).toBeUndefined();
    expect(constraint.allowedTokenIds().sort()).toEqual([2, 3]);
    expect(() => constraint.advance(4)).toThrow(RangeError);
    expect(constraint.advance(3)).toBe(1);
    expect(constraint.completedChoice).toBe(1);
    expect(constraint.allowedTokenIds()).toEqual([]);
    expect(() => constraint.advance(2)).toThrow(RangeError);
  });

  it('lets the end token complete a choice that prefixes another', () => {
    const trie = new ChoiceTrie([[5], [5, 6]], { endTokenIds: [END] });
    const constraint = new ChoiceConstraint(trie);
    expect(constraint.advance(5)).toBeUndefined();
    expect(constraint.allowedTokenIds().sort((a, b) => a - b)).toEqual([6, END]);
    expect(constraint.advance(END)).toBe(0);
    expect(trie.scoringPrefixes()).toEqual([[], [5]]);
  });

  it('rejects ambiguous or empty choice sets', () => {
    expect(() => new ChoiceTrie([])).toThrow(RangeError);
    expect(() => new ChoiceTrie([[]])).toThrow(RangeError);
    expect(
      () =>
        new ChoiceTrie([
          [1, 2],
          [1, 2],
        ]),
    ).toThrow(RangeError);
    expect(() => new ChoiceTrie([[1], [1, 2]])).toThrow(/end token ids are required/);
    expect(() => new ChoiceTrie([[1], [1, 2]], { endTokenIds: [2] })).toThrow(RangeError);
    expect(() => new ChoiceTrie([[1.5]])).toThrow(RangeError);
  });
});

describe('choice scoring', () => {
  it('for single tokens is the softmax over those tokens’ logits', () => {
    const logits = Float32Array.of(0.3, 2, -1, 0.5, 7);
    const scores = scoreSingleTokenChoices(logits, [1, 3, 2]);
    const weights = [2, 0.5, -1].map(Math.exp);
    const total = weights.reduce((a, b) => a + b, 0);
    scores.probabilities.forEach((probability, index) =>
      expect(probability).toBeCloseTo((weights[index] as number) / total, 12),
    );
    expect(scores.best).toBe(0);
    const trie = new ChoiceTrie([[1], [3], [2]]);
    const viaTrie = scoreChoices(trie, [logits]);
    viaTrie.probabilities.forEach((probability, index) =>
      expect(probability).toBeCloseTo(scores.probabilities[index] as number, 12),
    );
    expect(() => scoreSingleTokenChoices(logits, [1, 1])).toThrow(RangeError);
  });

  it('multiplies token probabilities along multi-token choices', async () => {
    // Choices "A B" and "A C" share A: only the second step decides, as 0.25 : 0.75.
    const logits = new Map<string, Float32Array>([
      ['', Float32Array.of(0, Math.log(0.5), Math.log(0.5), -Infinity)],
      ['1', Float32Array.of(Math.log(0.5), -Infinity, Math.log(0.125), Math.log(0.375))],
    ]);
    const scores = await evaluateChoices(
      new ChoiceTrie([
        [1, 2],
        [1, 3],
      ]),
      (prefix) => logits.get(prefix.join(',')) as Float32Array,
    );
    // Logits are float32, so the probabilities are exact only to float32 precision.
    expect(scores.probabilities[0]).toBeCloseTo(0.25, 6);
    expect(scores.probabilities[1]).toBeCloseTo(0.75, 6);
    expect(scores.logProbabilities[0]).toBeCloseTo(Math.log(0.25 * 0.125), 6);
    expect(scores.best).toBe(1);
  });

  it('is uniform when the model rules out every choice, and picks the lowest index on ties', () => {
    const scores = scoreSingleTokenChoices(Float32Array.of(-Infinity, -Infinity, 0), [0, 1]);
    expect(scores.probabilities).toEqual([0.5, 0.5]);
    expect(scores.best).toBe(0);
  });

  it('checks the number of logits rows', () => {
    expect(() =>
      scoreChoices(
        new ChoiceTrie([
          [1, 2],
          [1, 3],
        ]),
        [Float32Array.of(0, 0, 0, 0)],
      ),
    ).toThrow(RangeError);
  });

  it('equals the brute-force renormalised product and sums to 1 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(choiceSets, fc.integer(), async (choices, seed) => {
        const model = fakeModel(seed);
        const scores = await evaluateChoices(new ChoiceTrie(choices, { endTokenIds: [END] }), model);
        const expected = bruteForce(choices, model);
        expect(scores.probabilities).toHaveLength(choices.length);
        scores.probabilities.forEach((probability, index) => {
          expect(probability).toBeGreaterThanOrEqual(0);
          expect(probability).toBeLessThanOrEqual(1);
          expect(probability).toBeCloseTo(expected[index] as number, 9);
        });
        expect(scores.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        const best = scores.logProbabilities.indexOf(Math.max(...scores.logProbabilities));
        expect(scores.best).toBe(best);
        expect(scores.probabilities[scores.best]).toBe(Math.max(...scores.probabilities));
      }),
      { numRuns: 300 },
    );
  });

  it('single-token probabilities sum to 1 over random logits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -80, max: 80, noNaN: true }), { minLength: VOCABULARY, maxLength: VOCABULARY }),
        fc.uniqueArray(fc.integer({ min: 0, max: VOCABULARY - 1 }), { minLength: 1, maxLength: 8 }),
        (values, tokenIds) => {
          const scores = scoreSingleTokenChoices(Float32Array.from(values), tokenIds);
          expect(scores.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
          const logits = Float32Array.from(values);
          expect(tokenIds[scores.best]).toBe(
            tokenIds.reduce((best, tokenId) =>
              (logits[tokenId] as number) > (logits[best] as number) ? tokenId : best,
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
