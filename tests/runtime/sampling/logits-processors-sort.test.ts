// The typed-array sort behind top-p/top-k must order exactly as the plain comparator does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectCandidates } from '../../../src/runtime/sampling/logits-processors.js';

function reference(logits: Float32Array, topP: number): number[] {
  const ids = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const max = logits[ids[0]!]!;
  const weights = ids.map((id) => Math.exp(logits[id]! - max));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const kept: number[] = [];
  let mass = 0;
  for (const [index, id] of ids.entries()) {
    kept.push(id);
    mass += weights[index]!;
    if (mass >= topP * total) break;
  }
  return kept;
}

describe('top-p candidate order', () => {
  it('matches a comparator sort on flat distributions with ties and signed zeros', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 100, maxLength: 400 }),
        fc.double({ min: 0.1, max: 0.99, noNaN: true }),
        (values, topP) => {
          const logits = Float32Array.from(values, (value) => (value === 0 ? -0 : value / 8));
          const chosen = selectCandidates(logits, { temperature: 1, minP: 0, topK: 0, topP });
          expect(Array.from(chosen.tokenIds)).toEqual(reference(logits, topP));
        },
      ),
      { numRuns: 200 },
    );
  });
});
