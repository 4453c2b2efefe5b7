import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  float16BitsToNumber,
  float16ToFloat32,
  float32ToBfloat16,
  roundToBfloat16,
} from '../../src/convert/float-conversion.js';

function bitsOf(value: number): number {
  return new Uint32Array(new Float32Array([value]).buffer)[0]!;
}

function floatOfBits(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}

/** Reference rounding written differently: compare the two bfloat16 neighbours by distance. */
function referenceBfloat16(value: number): number {
  const bits = bitsOf(value);
  const down = bits & 0xffff0000;
  const up = (down + 0x10000) >>> 0;
  const remainder = bits & 0xffff;
  if (remainder < 0x8000) return down >>> 16;
  if (remainder > 0x8000) return up >>> 16;
  return (down >>> 16) & 1 ? up >>> 16 : down >>> 16;
}

describe('float32ToBfloat16', () => {
  it('rounds to nearest, ties to even', () => {
    expect(float32ToBfloat16(new Float32Array([1]))[0]).toBe(0x3f80);
    // 1 + 2^-8 is exactly between 0x3f80 and 0x3f81: ties go to the even 0x3f80.
    expect(float32ToBfloat16(new Float32Array([floatOfBits(0x3f808000)]))[0]).toBe(0x3f80);
    expect(float32ToBfloat16(new Float32Array([floatOfBits(0x3f818000)]))[0]).toBe(0x3f82);
    expect(float32ToBfloat16(new Float32Array([floatOfBits(0x3f808001)]))[0]).toBe(0x3f81);
    expect(float32ToBfloat16(new Float32Array([-2.5]))[0]).toBe(0xc020);
  });

  it('keeps infinities and NaN, and overflows the largest floats to infinity', () => {
    const [inf, negativeInf, nan, max] = float32ToBfloat16(
      new Float32Array([Infinity, -Infinity, NaN, floatOfBits(0x7f7fffff)]),
    );
    expect(inf).toBe(0x7f80);
    expect(negativeInf).toBe(0xff80);
    expect(Number.isNaN(floatOfBits(nan! << 16))).toBe(true);
    expect(max).toBe(0x7f80);
    // A NaN whose payload sits only in the low bits must not become an infinity.
    expect(Number.isNaN(floatOfBits(float32ToBfloat16(new Float32Array([floatOfBits(0x7f800001)]))[0]! << 16))).toBe(
      true,
    );
  });

  it('matches a reference rounding for arbitrary finite floats', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (value) => {
        const stored = Math.fround(value);
        expect(float32ToBfloat16(new Float32Array([stored]))[0]).toBe(referenceBfloat16(stored));
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips exactly through bfloat16ToFloat32 for bfloat16 values', () => {
    const values = new Float32Array([0, -0, 1, -1.5, 3.140625, 65280, roundToBfloat16(1e-38), roundToBfloat16(0.1)]);
    expect(Array.from(bfloat16ToFloat32(float32ToBfloat16(values)))).toEqual(Array.from(values));
  });
});

describe('float16ToFloat32', () => {
  it('decodes normals, subnormals, infinities and NaN', () => {
    const decoded = float16ToFloat32(
      new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555]),
    );
    expect(Array.from(decoded.subarray(0, 8))).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, Infinity, -Infinity, -0]);
    expect(decoded[8]).toBeCloseTo(0.33325195, 7);
    expect(Number.isNaN(float16BitsToNumber(0x7e00))).toBe(true);
  });
});
