import { describe, expect, it } from 'vitest';
import { Xoshiro128StarStar, randomSeed } from '../../../src/runtime/sampling/random.js';

describe('Xoshiro128StarStar', () => {
  it('follows the reference algorithm from a known state', () => {
    // Worked by hand from the published xoshiro128** step with state {1, 2, 3, 4}.
    const generator = Xoshiro128StarStar.fromState([1, 2, 3, 4]);
    expect([generator.nextUint32(), generator.nextUint32(), generator.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('repeats a sequence for the same seed and stream, and only then', () => {
    const draw = (seed: number, stream = 0) => {
      const generator = new Xoshiro128StarStar(seed, stream);
      return Array.from({ length: 8 }, () => generator.nextFloat());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
    expect(draw(-1)).not.toEqual(draw(1));
    expect(draw(Number.MAX_SAFE_INTEGER)).toEqual(draw(Number.MAX_SAFE_INTEGER));
  });

  it('draws uniform floats in [0, 1)', () => {
    const generator = new Xoshiro128StarStar(7);
    const bins = new Array<number>(10).fill(0);
    const count = 100_000;
    let sum = 0;
    let outside = 0;
    for (let index = 0; index < count; index++) {
      const value = generator.nextFloat();
      if (!(value >= 0 && value < 1)) outside++;
      sum += value;
      bins[Math.floor(value * 10)]! += 1;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / count - 0.5)).toBeLessThan(0.005);
    // Chi-square with 9 degrees of freedom: 27.9 is the 0.999 quantile.
    const expected = count / 10;
    const chiSquare = bins.reduce((total, observed) => total + (observed - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.9);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => new Xoshiro128StarStar(1.5)).toThrow(RangeError);
    expect(() => new Xoshiro128StarStar(2 ** 60)).toThrow(RangeError);
    expect(() => new Xoshiro128StarStar(1, -1)).toThrow(RangeError);
  });

  it('makes fresh seeds that are safe integers', () => {
    const seeds = Array.from({ length: 4 }, () => randomSeed());
    for (const seed of seeds) expect(Number.isSafeInteger(seed) && seed >= 0).toBe(true);
    expect(new Set(seeds).size).toBe(4);
  });
});
