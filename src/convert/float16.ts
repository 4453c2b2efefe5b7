// IEEE 754 binary16 ("half") encoding for weights written as ONNX float16 tensors.
//
// Node 20 has no Float16Array, so half floats travel as their bit patterns in a Uint16Array
// (little-endian in memory, which is what ONNX raw_data wants). The encoder works on the
// float32 bit patterns with integer arithmetic only: no per-element allocation, no Math calls
// on the common path, so a 300M-element tensor converts in about a second per core.

/** float32 bits of the smallest value whose float16 is not subnormal: 2^-14. */
const FLOAT32_BITS_HALF_MIN_NORMAL = (127 - 14) << 23;
/** float32 bits of 2^16: from here on every finite value rounds to float16 infinity. */
const FLOAT32_BITS_HALF_OVERFLOW = (127 + 16) << 23;
/** float32 bits of +infinity; anything above it (ignoring sign) is a NaN. */
const FLOAT32_BITS_INFINITY = 0x7f800000;
/** Moves the float32 exponent bias (127) to the float16 one (15), already in bit position. */
const EXPONENT_REBIAS = (15 - 127) << 23;
/** 2^24: one float16 subnormal step is 2^-24. */
const HALF_SUBNORMAL_SCALE = 16777216;
/** 2^52: adding and subtracting it rounds a double in [0, 2^52) to an integer, ties to even. */
const ROUND_TO_EVEN_MAGIC = 4503599627370496;

const HALF_INFINITY = 0x7c00;
const HALF_QUIET_NAN_BIT = 0x0200;

/**
 * Encodes one float32 (given as its bits, sign already removed) as float16 bits without sign.
 * Round to nearest, ties to even, as a hardware conversion (F16C `vcvtps2ph`, PyTorch's
 * `.half()`) does; overflow goes to infinity, NaN stays NaN (payload kept, made quiet).
 */
function encodeMagnitude(magnitudeBits: number, value: number): number {
  if (magnitudeBits >= FLOAT32_BITS_HALF_OVERFLOW) {
    if (magnitudeBits > FLOAT32_BITS_INFINITY)
      return HALF_INFINITY | HALF_QUIET_NAN_BIT | ((magnitudeBits >>> 13) & 0x03ff);
    return HALF_INFINITY;
  }
  if (magnitudeBits < FLOAT32_BITS_HALF_MIN_NORMAL) {
    // Subnormal (or zero) result: count 2^-24 steps. The product is exact in a double, and the
    // magic add rounds it to an integer with ties to even; 1024 steps is correctly the smallest
    // normal number, whose bit pattern follows the subnormals'.
    const steps = Math.abs(value) * HALF_SUBNORMAL_SCALE;
    return steps + ROUND_TO_EVEN_MAGIC - ROUND_TO_EVEN_MAGIC;
  }
  // Normal result: drop 13 mantissa bits. Adding 0xfff plus the lowest kept bit rounds to
  // nearest with ties to even; a carry out of the mantissa correctly bumps the exponent
  // (up to infinity for values in [65520, 65536)).
  const keptLowestBit = (magnitudeBits >>> 13) & 1;
  return (magnitudeBits + EXPONENT_REBIAS + 0x0fff + keptLowestBit) >>> 13;
}

/** float16 bits of one number (rounded to float32 first, as a float32 tensor would hold it). */
export function float32ToFloat16Bit(value: number): number {
  const scratch = new Float32Array([value]);
  const bits = new Uint32Array(scratch.buffer)[0]!;
  return ((bits >>> 16) & 0x8000) | encodeMagnitude(bits & 0x7fffffff, scratch[0]!);
}

/**
 * Converts float32 values to float16 bit patterns (round to nearest even, subnormals,
 * infinities and NaN handled). Writes into `output` when given (it must be as long as `input`),
 * so a large tensor can be converted in slices without a second full-size allocation.
 */
export function float32ToFloat16Bits(
  input: Float32Array,
  output: Uint16Array = new Uint16Array(input.length),
): Uint16Array {
  if (output.length !== input.length) {
    throw new RangeError(`float32ToFloat16Bits: output holds ${output.length} values, input ${input.length}`);
  }
  // A Float32Array's byteOffset is always a multiple of 4, so the same bytes view as uint32.
  const inputBits = new Uint32Array(input.buffer, input.byteOffset, input.length);
  const length = input.length;
  for (let index = 0; index < length; index += 1) {
    const bits = inputBits[index]!;
    const magnitudeBits = bits & 0x7fffffff;
    const sign = (bits >>> 16) & 0x8000;
    // The common case (a normal float16) inline; the rare ones in the helper.
    if (magnitudeBits >= FLOAT32_BITS_HALF_MIN_NORMAL && magnitudeBits < FLOAT32_BITS_HALF_OVERFLOW) {
      output[index] = sign | ((magnitudeBits + EXPONENT_REBIAS + 0x0fff + ((magnitudeBits >>> 13) & 1)) >>> 13);
    } else {
      output[index] = sign | encodeMagnitude(magnitudeBits, input[index]!);
    }
  }
  return output;
}

let decodeTable: Uint32Array | undefined;

/** float32 bits for every float16 bit pattern (256 KiB, built on first use). */
function float16DecodeTable(): Uint32Array {
  if (decodeTable !== undefined) return decodeTable;
  const table = new Uint32Array(65536);
  for (let half = 0; half < 65536; half += 1) {
    const sign = (half & 0x8000) << 16;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x03ff;
    let magnitude: number;
    if (exponent === 0x1f) {
      magnitude = FLOAT32_BITS_INFINITY | (mantissa << 13);
    } else if (exponent !== 0) {
      magnitude = (((exponent + 127 - 15) << 23) | (mantissa << 13)) >>> 0;
    } else if (mantissa === 0) {
      magnitude = 0;
    } else {
      // Subnormal half: every one is a normal float32; shift the mantissa up to its leading 1.
      let shifted = mantissa;
      let exponentOfValue = 127 - 15 + 1;
      while ((shifted & 0x0400) === 0) {
        shifted <<= 1;
        exponentOfValue -= 1;
      }
      magnitude = (exponentOfValue << 23) | ((shifted & 0x03ff) << 13);
    }
    table[half] = (sign | magnitude) >>> 0;
  }
  decodeTable = table;
  return table;
}

/** Decodes float16 bit patterns to float32 (exact: every float16 is a float32). */
export function float16BitsToFloat32(
  input: Uint16Array,
  output: Float32Array = new Float32Array(input.length),
): Float32Array {
  if (output.length !== input.length) {
    throw new RangeError(`float16BitsToFloat32: output holds ${output.length} values, input ${input.length}`);
  }
  const table = float16DecodeTable();
  const outputBits = new Uint32Array(output.buffer, output.byteOffset, output.length);
  for (let index = 0; index < input.length; index += 1) outputBits[index] = table[input[index]!]!;
  return output;
}
