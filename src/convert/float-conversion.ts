// Conversions between float32 and the 16-bit float formats of checkpoints. Node 20 has no
// Float16Array, and bfloat16 has no JavaScript type at all, so both are done on the bit patterns.

const scratch = new DataView(new ArrayBuffer(4));

/**
 * Rounds float32 values to bfloat16 (the top 16 bits of a float32) with round-to-nearest-even, as
 * PyTorch's `.to(torch.bfloat16)` does. NaN stays NaN (quiet, sign kept): truncating the mantissa
 * of a NaN could otherwise turn it into an infinity.
 */
export function float32ToBfloat16(
  source: Float32Array,
  target: Uint16Array = new Uint16Array(source.length),
): Uint16Array {
  if (target.length < source.length)
    throw new RangeError(`bfloat16 target holds ${target.length} values, source has ${source.length}`);
  const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
  for (let index = 0; index < bits.length; index += 1) {
    const value = bits[index]!;
    if ((value & 0x7fffffff) > 0x7f800000) {
      target[index] = (value >>> 16) | 0x0040;
      continue;
    }
    // Adding 0x7fff plus the lowest kept bit rounds half to even; a carry into the exponent is the
    // correct rounding (up to the next binade, or to infinity past the largest finite bfloat16).
    target[index] = ((value + 0x7fff + ((value >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return target;
}

/** Widens bfloat16 bit patterns to float32 (exact: bfloat16 is a truncated float32). */
export function bfloat16ToFloat32(
  source: Uint16Array,
  target: Float32Array = new Float32Array(source.length),
): Float32Array {
  const bits = new Uint32Array(target.buffer, target.byteOffset, source.length);
  for (let index = 0; index < source.length; index += 1) bits[index] = source[index]! << 16;
  return target;
}

/** Decodes one IEEE 754 binary16 value, subnormals, infinities and NaN included. */
export function float16BitsToNumber(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** A 65536-entry table makes F16 decoding a lookup; built on first use (256 KiB). */
let float16Table: Float32Array | undefined;

/** Widens IEEE binary16 bit patterns to float32 (exact: every binary16 value is a float32). */
export function float16ToFloat32(
  source: Uint16Array,
  target: Float32Array = new Float32Array(source.length),
): Float32Array {
  if (float16Table === undefined) {
    float16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits += 1) float16Table[bits] = float16BitsToNumber(bits);
  }
  const table = float16Table;
  for (let index = 0; index < source.length; index += 1) target[index] = table[source[index]!]!;
  return target;
}

/** The float32 value nearest to `value` after rounding to bfloat16 (for tests and expectations). */
export function roundToBfloat16(value: number): number {
  scratch.setFloat32(0, value, true);
  const rounded = float32ToBfloat16(new Float32Array([scratch.getFloat32(0, true)]));
  scratch.setUint32(0, rounded[0]! << 16, true);
  return scratch.getFloat32(0, true);
}
