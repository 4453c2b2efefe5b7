import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dequantizeQ4, matMulNBitsDims, quantizeQ4 } from '../../src/convert/quantize-q4.js';
import { SeededRandom } from '../../src/convert/seeded-random.js';

const BLOCK_SIZES = [16, 32, 64, 128] as const;

/** The nibble MatMulNBits reads for weight [row, column] (even k low, odd k high). */
function nibbleAt(packed: Uint8Array, nBlocks: number, blockSize: number, row: number, column: number): number {
  const block = Math.floor(column / blockSize);
  const byte = packed[(row * nBlocks + block) * (blockSize / 2) + Math.floor((column % blockSize) / 2)]!;
  return column % 2 === 0 ? byte & 0x0f : byte >> 4;
}

describe('quantizeQ4 layout', () => {
  it('packs a hand-checked asymmetric block', () => {
    // One row, K = 16: values 0..15 scaled by 0.5 minus 1.5, so min = -1.5, max = 6.
    const weight = Float32Array.from({ length: 16 }, (_, index) => index * 0.5 - 1.5);
    const quantized = quantizeQ4(weight, 1, 16, { blockSize: 16 });
    expect(quantized.scales[0]).toBeCloseTo(0.5, 7);
    expect(Array.from(quantized.zeroPoints!)).toEqual([3]); // round(1.5 / 0.5)
    // q[k] = k; bytes hold (k = 2j) | (k = 2j + 1) << 4.
    expect(Array.from(quantized.packed)).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    expect(Array.from(dequantizeQ4(quantized))).toEqual(Array.from(weight));
  });

  it('maps the largest magnitude to -8 in symmetric mode and drops the zero points', () => {
    const weight = new Float32Array(16);
    weight[0] = -4;
    weight[1] = 2;
    weight[2] = 4; // the positive extreme clamps to 7 * 0.5 = 3.5
    const quantized = quantizeQ4(weight, 1, 16, { blockSize: 16, symmetric: true });
    expect(quantized.zeroPoints).toBeUndefined();
    expect(quantized.scales[0]).toBe(0.5);
    expect(quantized.packed[0]).toBe(0xc0); // -4 -> 0 (low nibble), 2 -> 12 (high)
    expect(quantized.packed[1]).toBe(0x8f); // 4 -> 15 (clamped, low), 0 -> 8 (high)
    expect(Array.from(dequantizeQ4(quantized).subarray(0, 4))).toEqual([-4, 2, 3.5, 0]);
  });

  it('packs zero points two per byte, even block low, each row byte-aligned', () => {
    // Three blocks a row, so each row has a half-empty zero-point byte.
    const n = 2;
    const k = 48;
    const weight = new Float32Array(n * k);
    const minimums = [-1, -2, -3, -4, -5, -6]; // per block; the maximum is 15 - |minimum|
    for (let row = 0; row < n; row += 1) {
      for (let block = 0; block < 3; block += 1) {
        const minimum = minimums[row * 3 + block]!;
        weight[row * k + block * 16] = minimum;
        weight[row * k + block * 16 + 1] = 15 + minimum;
      }
    }
    const quantized = quantizeQ4(weight, n, k, { blockSize: 16 });
    expect(Array.from(quantized.scales)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(quantized.zeroPoints!)).toEqual([0x21, 0x03, 0x54, 0x06]);
    expect(matMulNBitsDims(quantized)).toEqual({ packed: [2, 3, 8], scales: [6], zeroPoints: [4] });
  });

  it('pads a short last block with the zero point, so the padding is exactly 0', () => {
    const k = 20;
    const weight = Float32Array.from({ length: 2 * k }, (_, index) => Math.sin(index) - 0.3);
    for (const symmetric of [false, true]) {
      const quantized = quantizeQ4(weight, 2, k, { blockSize: 16, symmetric });
      expect(quantized.nBlocks).toBe(2);
      expect(quantized.packed.length).toBe(2 * 2 * 8);
      for (let row = 0; row < 2; row += 1) {
        const zeroPoint = symmetric ? 8 : (quantized.zeroPoints![row]! >> 4) & 0x0f;
        for (let column = k; column < 32; column += 1)
          expect(nibbleAt(quantized.packed, 2, 16, row, column)).toBe(zeroPoint);
      }
      expect(dequantizeQ4(quantized).length).toBe(2 * k);
    }
  });

  it('gives an all-zero block a zero scale and zero weights', () => {
    const quantized = quantizeQ4(new Float32Array(32), 1, 32, { blockSize: 32 });
    expect(Array.from(quantized.scales)).toEqual([0]);
    expect(Array.from(dequantizeQ4(quantized))).toEqual(new Array(32).fill(0));
  });

  it('rejects NaN and infinite weights, bad block sizes and mismatched shapes', () => {
    const weight = new Float32Array(64);
    weight[40] = Number.NaN;
    expect(() => quantizeQ4(weight, 2, 32, { blockSize: 16 })).toThrow(/row 1, columns 0\.\.15/);
    weight[40] = -Infinity;
    expect(() => quantizeQ4(weight, 2, 32, { blockSize: 16 })).toThrow(RangeError);
    expect(() => quantizeQ4(new Float32Array(64), 2, 32, { blockSize: 24 })).toThrow(/power of two/);
    expect(() => quantizeQ4(new Float32Array(64), 2, 32, { blockSize: 8 })).toThrow(/power of two/);
    expect(() => quantizeQ4(new Float32Array(63), 2, 32, { blockSize: 16 })).toThrow(/do not fill/);
    const quantized = quantizeQ4(new Float32Array(64), 2, 32, { blockSize: 16 });
    expect(() => dequantizeQ4({ ...quantized, scales: new Float32Array(3) })).toThrow(/do not match/);
    expect(() => dequantizeQ4({ ...quantized, zeroPoints: new Uint8Array(3) })).toThrow(/do not match/);
  });
});

describe('quantizeQ4 error', () => {
  const shape = fc.record({
    n: fc.integer({ min: 1, max: 4 }),
    k: fc.integer({ min: 1, max: 300 }),
    blockSize: fc.constantFrom(...BLOCK_SIZES),
    symmetric: fc.boolean(),
    seed: fc.nat(),
  });

  it('stays within half a step (asymmetric) or one step (symmetric clamps one side), keeps 0 exact', () => {
    fc.assert(
      fc.property(shape, ({ n, k, blockSize, symmetric, seed }) => {
        const generator = new SeededRandom(seed, 'quantize-q4');
        const random = (): number => generator.nextUniform();
        const offset = random() - 0.5;
        const weight = Float32Array.from({ length: n * k }, () => (random() < 0.1 ? 0 : (random() - 0.5 + offset) * 3));
        const quantized = quantizeQ4(weight, n, k, { blockSize, symmetric });
        const restored = dequantizeQ4(quantized);
        for (let row = 0; row < n; row += 1) {
          for (let column = 0; column < k; column += 1) {
            const index = row * k + column;
            const step = Math.abs(quantized.scales[row * quantized.nBlocks + Math.floor(column / blockSize)]!);
            const bound = (symmetric ? step : step / 2) * (1 + 1e-6) + 1e-12;
            expect(Math.abs(restored[index]! - weight[index]!)).toBeLessThanOrEqual(bound);
            if (weight[index] === 0) expect(Math.abs(restored[index]!)).toBe(0); // -0 when the scale is negative
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
