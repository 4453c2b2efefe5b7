import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTokenBitmask } from '../../../src/runtime/structured-output/token-bitmask.js';

describe('applyTokenBitmask', () => {
  it('keeps exactly the tokens whose bit is set, and none past the mask', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.integer(), { minLength: 1, maxLength: 8 }),
        (width, words) => {
          const logits = Float32Array.from({ length: width }, (_, index) => index);
          const bitmask = Int32Array.from(words);
          applyTokenBitmask(logits, bitmask);
          for (let token = 0; token < width; token++) {
            const word = token >> 5;
            const allowed = word < bitmask.length && ((bitmask[word]! >>> (token & 31)) & 1) === 1;
            expect(logits[token]).toBe(allowed ? token : -Infinity);
          }
        },
      ),
    );
  });
});
