import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { float16BitsToFloat32, float32ToFloat16Bit, float32ToFloat16Bits } from '../../src/convert/float16.js';

/**
 * The float16 value nearest to `value` (ties to even), computed in doubles from the definition
 * rather than from bit tricks: an independent oracle for the encoder.
 */
function nearestFloat16(value: number): number {
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return Math.sign(value) * Infinity; // halfway past 65504 rounds up
  const exponent = Math.max(-14, Math.floor(Math.log2(magnitude || 1)));
  const step = 2 ** (exponent - 10);
  const steps = magnitude / step;
  let rounded = Math.round(steps);
  if (rounded - steps === 0.5 && rounded % 2 === 1) rounded -= 1;
  const result = rounded * step;
  return value < 0 || Object.is(value, -0) ? -result : result;
}

/** Values exactly halfway between two adjacent float16 values: where rounding is decided. */
const halfwayValue = fc.tuple(fc.integer({ min: 0, max: 0x7bff }), fc.boolean()).map(([half, negative]) => {
  const [below, above] = float16BitsToFloat32(Uint16Array.of(half, half + 1));
  const halfway = (below! + above!) / 2; // 12 significant bits: exact in float32
  return negative ? -halfway : halfway;
});

/** Through the array encoder: its inline fast path is what converts real tensors. */
function bitsOf(value: number): number {
  return float32ToFloat16Bits(Float32Array.of(value))[0]!;
}

describe('float32ToFloat16Bits', () => {
  it('encodes exact values, limits and special values', () => {
    expect(bitsOf(0)).toBe(0x0000);
    expect(bitsOf(-0)).toBe(0x8000);
    expect(bitsOf(1)).toBe(0x3c00);
    expect(bitsOf(-2)).toBe(0xc000);
    expect(bitsOf(0.333251953125)).toBe(0x3555);
    expect(bitsOf(65504)).toBe(0x7bff); // largest finite
    expect(bitsOf(65519)).toBe(0x7bff);
    expect(bitsOf(65520)).toBe(0x7c00); // halfway to 65536: ties to even overflow to infinity
    expect(bitsOf(1e6)).toBe(0x7c00);
    expect(bitsOf(-1e6)).toBe(0xfc00);
    expect(bitsOf(Infinity)).toBe(0x7c00);
    expect(bitsOf(-Infinity)).toBe(0xfc00);
    expect(bitsOf(2 ** -14)).toBe(0x0400); // smallest normal
  });

  it('rounds to nearest with ties to even, in normal and subnormal ranges', () => {
    expect(bitsOf(1 + 2 ** -11)).toBe(0x3c00); // tie, 0x3c00 is even
    expect(bitsOf(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, 0x3c02 is even
    expect(bitsOf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just past the tie
    expect(bitsOf(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(bitsOf(2 ** -25)).toBe(0x0000); // tie with 0
    expect(bitsOf(2 ** -25 * 1.0000001)).toBe(0x0001);
    expect(bitsOf(3 * 2 ** -25)).toBe(0x0002); // 1.5 steps: tie, 2 is even
    expect(bitsOf(-5 * 2 ** -25)).toBe(0x8002); // 2.5 steps: tie, 2 is even
    expect(bitsOf(1023 * 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(bitsOf(1023.5 * 2 ** -24)).toBe(0x0400); // tie rounds up into the normals
    expect(bitsOf(1e-10)).toBe(0x0000); // a float32 subnormal... of float16: underflow to 0
    expect(bitsOf(-1e-45)).toBe(0x8000); // a float32 subnormal
  });

  it('gives the same bits from the scalar encoder, ties included', () => {
    const ties = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 3 * 2 ** -25, -5 * 2 ** -25, 65520, 2 ** -25, 1.5 * 2 ** -14];
    for (const value of ties) expect(float32ToFloat16Bit(value)).toBe(bitsOf(value));
  });

  it('keeps NaN a NaN, quiet, with its sign', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xffc00000, 0x7fffffff]) {
      const value = new Float32Array(new Uint32Array([bits]).buffer);
      const half = float32ToFloat16Bits(value)[0]!;
      expect(half & 0x7c00).toBe(0x7c00);
      expect(half & 0x0200).toBe(0x0200);
      expect(half & 0x8000).toBe(bits >= 0x80000000 ? 0x8000 : 0);
    }
  });

  it('matches the round-to-nearest-even definition for any float32', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.float({ noNaN: true }), halfwayValue), { minLength: 1, maxLength: 64 }),
        (values) => {
          const decoded = float16BitsToFloat32(float32ToFloat16Bits(Float32Array.from(values)));
          values.forEach((value, index) => expect(Object.is(decoded[index], nearestFloat16(value))).toBe(true));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('round-trips every float16 bit pattern except NaN', () => {
    const all = new Uint16Array(65536).map((_, index) => index);
    const decoded = float16BitsToFloat32(all);
    const encoded = float32ToFloat16Bits(decoded);
    for (let half = 0; half < 65536; half += 1) {
      const isNaN = (half & 0x7c00) === 0x7c00 && (half & 0x03ff) !== 0;
      if (isNaN) expect(Number.isNaN(decoded[half])).toBe(true);
      else expect(encoded[half]).toBe(half);
    }
  });

  it('agrees element-wise with the scalar encoder on a typed-array view with an offset', () => {
    const backing = new Float32Array(1003);
    for (let index = 0; index < backing.length; index += 1) backing[index] = Math.sin(index) * 2 ** ((index % 50) - 30);
    const view = backing.subarray(3);
    const output = new Uint16Array(new ArrayBuffer(2 * (view.length + 1)), 2, view.length);
    expect(float32ToFloat16Bits(view, output)).toBe(output);
    for (let index = 0; index < view.length; index += 1) expect(output[index]).toBe(float32ToFloat16Bit(view[index]!));
  });

  it('rejects an output of the wrong length', () => {
    expect(() => float32ToFloat16Bits(new Float32Array(4), new Uint16Array(3))).toThrow(RangeError);
    expect(() => float16BitsToFloat32(new Uint16Array(4), new Float32Array(5))).toThrow(RangeError);
  });
});

describe('float16BitsToFloat32', () => {
  it('decodes normals, subnormals, zeros and infinities exactly', () => {
    const decoded = float16BitsToFloat32(
      Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x3555),
    );
    expect(Array.from(decoded)).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      1023 * 2 ** -24,
      -0,
      Infinity,
      -Infinity,
      0.333251953125,
    ]);
    expect(Object.is(decoded[5], -0)).toBe(true);
  });
});
