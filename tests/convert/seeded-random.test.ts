import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/convert/seeded-random.js';

function normals(seed: number, name: string, count: number): Float32Array {
  return new SeededRandom(seed, name).fillNormal(new Float32Array(count), 0, 1);
}

describe('SeededRandom', () => {
  it('gives the same stream for the same (seed, name) and different streams otherwise', () => {
    const first = normals(7, 'model.norm.weight', 64);
    expect(Array.from(normals(7, 'model.norm.weight', 64))).toEqual(Array.from(first));
    expect(Array.from(normals(8, 'model.norm.weight', 64))).not.toEqual(Array.from(first));
    expect(Array.from(normals(7, 'model.norm.bias', 64))).not.toEqual(Array.from(first));
    // Seeds above 2^32 must not alias their low bits.
    expect(Array.from(normals(2 ** 32 + 7, 'model.norm.weight', 64))).not.toEqual(Array.from(first));
  });

  it('gives the same values whether filled at once or in odd-sized slices', () => {
    const whole = normals(3, 'x', 1001);
    const random = new SeededRandom(3, 'x');
    const sliced = new Float32Array(1001);
    for (let start = 0; start < sliced.length; start += 7) random.fillNormal(sliced.subarray(start, start + 7), 0, 1);
    expect(Array.from(sliced)).toEqual(Array.from(whole));
  });

  it('draws normals with the requested mean and standard deviation', () => {
    const values = new SeededRandom(11, 'stats').fillNormal(new Float32Array(400_000), 1, 0.05);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    expect(mean).toBeCloseTo(1, 3);
    expect(Math.sqrt(variance)).toBeCloseTo(0.05, 3);
    // Tails: about 4.55% of a normal lies beyond 2 standard deviations.
    const beyondTwo = values.filter((value) => Math.abs(value - 1) > 0.1).length / values.length;
    expect(beyondTwo).toBeGreaterThan(0.043);
    expect(beyondTwo).toBeLessThan(0.048);
  });

  it('draws uniform integers over the whole 32-bit range', () => {
    const random = new SeededRandom(1, 'uniform');
    const buckets = new Array<number>(16).fill(0);
    for (let index = 0; index < 160_000; index += 1) buckets[random.nextUint32() >>> 28]! += 1;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('rejects seeds that are not non-negative integers', () => {
    expect(() => new SeededRandom(-1, 'x')).toThrow(RangeError);
    expect(() => new SeededRandom(1.5, 'x')).toThrow(RangeError);
  });
});
