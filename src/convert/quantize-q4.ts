// Block-wise int4 weight-only quantization in the layout of onnxruntime's com.microsoft
// MatMulNBits (bits = 4), see onnxruntime docs/ContribOperators.md:
//
//   B           uint8 [N, nBlocks, blockSize / 2]  two 4-bit values a byte, the even k in the
//                                                 low nibble, the odd k in the high nibble
//   scales      float [N * nBlocks]
//   zero_points uint8 [N * ceil(nBlocks / 2)]     packed like B, each row of N byte-aligned;
//                                                 absent means 8 for every block (symmetric)
//   weight[n, k] = (q[n, k] - zeroPoint[n, k / blockSize]) * scale[n, k / blockSize]
//
// The scale and zero-point rules follow MLAS's blockwise quantizer (range2scalezp and
// range2scale in onnxruntime/core/mlas/lib/q4_dq.cpp), which onnxruntime's
// matmul_4bits_quantizer.py uses, so a model converted here quantizes like one converted
// there: asymmetric blocks stretch [min(w, 0), max(w, 0)] over 0..15; symmetric blocks map the
// weight of largest magnitude to -8 (its sign folded into the scale) with the zero point at 8.

/** MatMulNBits' smallest block; larger blocks must be powers of two (ORT kernel rule). */
export const Q4_MIN_BLOCK_SIZE = 16;
const Q4_MAX_VALUE = 15;
const Q4_SYMMETRIC_ZERO_POINT = 8;

export interface QuantizeQ4Options {
  /** Weights that share one scale along K: a power of two, at least 16. */
  blockSize: number;
  /** Symmetric blocks drop the zero-point tensor (the kernel uses 8); default false. */
  symmetric?: boolean;
}

export interface QuantizedQ4Weight {
  /** [n, nBlocks, blockSize / 2], MatMulNBits input B. */
  packed: Uint8Array;
  /** [n * nBlocks], MatMulNBits input `scales` (float32; encode as float16 for fp16 models). */
  scales: Float32Array;
  /** [n * ceil(nBlocks / 2)], MatMulNBits input `zero_points`; undefined when symmetric. */
  zeroPoints: Uint8Array | undefined;
  /** out_features (MatMulNBits attribute N). */
  n: number;
  /** in_features (MatMulNBits attribute K). */
  k: number;
  blockSize: number;
  /** ceil(k / blockSize); the last block is padded with quantized zeros when k is not a multiple. */
  nBlocks: number;
}

/** The ONNX dims of the MatMulNBits initializers for `weight`, in the layout ORT's quantizer writes. */
export function matMulNBitsDims(weight: QuantizedQ4Weight): {
  packed: number[];
  scales: number[];
  zeroPoints: number[];
} {
  return {
    packed: [weight.n, weight.nBlocks, weight.blockSize / 2],
    scales: [weight.n * weight.nBlocks],
    zeroPoints: [weight.n * zeroPointBytesPerRow(weight.nBlocks)],
  };
}

function zeroPointBytesPerRow(nBlocks: number): number {
  return (nBlocks + 1) >>> 1;
}

function checkShape(name: string, n: number, k: number, blockSize: number, length: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(k) || n <= 0 || k <= 0) {
    throw new RangeError(`${name}: shape [${n}, ${k}] must be positive integers`);
  }
  if (!Number.isInteger(blockSize) || blockSize < Q4_MIN_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
    throw new RangeError(`${name}: block size ${blockSize} must be a power of two >= ${Q4_MIN_BLOCK_SIZE}`);
  }
  if (length !== n * k) throw new RangeError(`${name}: ${length} values do not fill [${n}, ${k}]`);
}

/**
 * Quantizes a Linear weight in PyTorch layout ([n = out_features, k = in_features], row-major)
 * to 4 bits per value for MatMulNBits (which computes A[M, K] x W^T). Throws on NaN or
 * infinite weights rather than writing a silently broken model.
 */
export function quantizeQ4(weight: Float32Array, n: number, k: number, options: QuantizeQ4Options): QuantizedQ4Weight {
  const { blockSize } = options;
  const symmetric = options.symmetric ?? false;
  checkShape('quantizeQ4', n, k, blockSize, weight.length);
  const nBlocks = Math.ceil(k / blockSize);
  const blockBytes = blockSize / 2;
  const zeroPointRowBytes = zeroPointBytesPerRow(nBlocks);
  const packed = new Uint8Array(n * nBlocks * blockBytes);
  const scales = new Float32Array(n * nBlocks);
  const zeroPoints = symmetric ? undefined : new Uint8Array(n * zeroPointRowBytes);

  for (let row = 0; row < n; row += 1) {
    const rowStart = row * k;
    for (let block = 0; block < nBlocks; block += 1) {
      const start = rowStart + block * blockSize;
      const end = Math.min(start + blockSize, rowStart + k);
      let minimum = 0;
      let maximum = 0;
      // x - x is 0 for finite x and NaN for NaN or ±Infinity: one add flags a bad block.
      let nonFinite = 0;
      for (let index = start; index < end; index += 1) {
        const value = weight[index]!;
        if (value < minimum) minimum = value;
        if (value > maximum) maximum = value;
        nonFinite += value - value;
      }
      if (nonFinite !== 0) {
        throw new RangeError(
          `quantizeQ4: weight row ${row}, columns ${start - rowStart}..${end - rowStart - 1} hold NaN or Infinity`,
        );
      }

      let scale: number;
      let zeroPoint: number;
      if (symmetric) {
        // The weight of largest magnitude maps to -8 exactly; its opposite clamps to 7.
        scale = Math.fround((maximum > -minimum ? maximum : minimum) / -Q4_SYMMETRIC_ZERO_POINT);
        zeroPoint = Q4_SYMMETRIC_ZERO_POINT;
      } else {
        // The range always holds 0 (minimum and maximum start at 0), so 0 is exactly
        // representable and zero padding dequantizes to exactly 0.
        scale = Math.fround((maximum - minimum) / Q4_MAX_VALUE);
        zeroPoint = scale === 0 ? 0 : Math.min(Q4_MAX_VALUE, Math.round(-minimum / scale));
      }
      const blockIndex = row * nBlocks + block;
      scales[blockIndex] = scale;
      if (zeroPoints !== undefined) {
        zeroPoints[row * zeroPointRowBytes + (block >>> 1)]! |= zeroPoint << ((block & 1) << 2);
      }

      const byteStart = blockIndex * blockBytes;
      if (end - start === blockSize) {
        packFullBlock(weight, start, blockBytes, scale, zeroPoint, packed, byteStart);
      } else {
        packPartialBlock(weight, start, end, blockBytes, scale, zeroPoint, packed, byteStart);
      }
    }
  }
  return { packed, scales, zeroPoints, n, k, blockSize, nBlocks };
}

// q = clamp(round(w / scale + zeroPoint), 0, 15). Adding 0.5 and truncating rounds half up;
// sums below 0 all clamp to 0, so truncation toward zero there is harmless. A zero scale (an
// all-zero block) has inverse 0, so every value lands on the zero point.
function quantizeNibble(value: number, inverse: number, offset: number): number {
  const rounded = (value * inverse + offset) | 0;
  return rounded < 0 ? 0 : rounded > Q4_MAX_VALUE ? Q4_MAX_VALUE : rounded;
}

/** The hot loop (every block but a short last one): no bounds checks against K. */
function packFullBlock(
  weight: Float32Array,
  start: number,
  blockBytes: number,
  scale: number,
  zeroPoint: number,
  packed: Uint8Array,
  byteStart: number,
): void {
  const inverse = scale === 0 ? 0 : 1 / scale;
  const offset = zeroPoint + 0.5;
  for (let byte = 0; byte < blockBytes; byte += 1) {
    const index = start + 2 * byte;
    packed[byteStart + byte] =
      quantizeNibble(weight[index]!, inverse, offset) | (quantizeNibble(weight[index + 1]!, inverse, offset) << 4);
  }
}

/**
 * The last block of a row when K is not a multiple of the block size. The padding holds the
 * zero point, so it dequantizes to exactly 0 and adds nothing even in a kernel that reads it.
 */
function packPartialBlock(
  weight: Float32Array,
  start: number,
  end: number,
  blockBytes: number,
  scale: number,
  zeroPoint: number,
  packed: Uint8Array,
  byteStart: number,
): void {
  const inverse = scale === 0 ? 0 : 1 / scale;
  const offset = zeroPoint + 0.5;
  for (let byte = 0; byte < blockBytes; byte += 1) {
    const index = start + 2 * byte;
    const low = index < end ? quantizeNibble(weight[index]!, inverse, offset) : zeroPoint;
    const high = index + 1 < end ? quantizeNibble(weight[index + 1]!, inverse, offset) : zeroPoint;
    packed[byteStart + byte] = low | (high << 4);
  }
}

/** The weights MatMulNBits computes with: [n, k] row-major, padding dropped. */
export function dequantizeQ4(quantized: QuantizedQ4Weight): Float32Array {
  const { packed, scales, zeroPoints, n, k, blockSize, nBlocks } = quantized;
  checkShape('dequantizeQ4', n, k, blockSize, n * k);
  const zeroPointRowBytes = zeroPointBytesPerRow(nBlocks);
  const blockBytes = blockSize / 2;
  const sizesMatch =
    nBlocks === Math.ceil(k / blockSize) &&
    packed.length === n * nBlocks * blockBytes &&
    scales.length === n * nBlocks &&
    (zeroPoints === undefined || zeroPoints.length === n * zeroPointRowBytes);
  if (!sizesMatch)
    throw new RangeError(`dequantizeQ4: tensor sizes do not match [${n}, ${k}] in blocks of ${blockSize}`);
  const weight = new Float32Array(n * k);
  for (let row = 0; row < n; row += 1) {
    for (let column = 0; column < k; column += 1) {
      const block = Math.floor(column / blockSize);
      const blockIndex = row * nBlocks + block;
      const byte = packed[blockIndex * blockBytes + ((column % blockSize) >>> 1)]!;
      const value = column & 1 ? byte >>> 4 : byte & 0x0f;
      const zeroPoint =
        zeroPoints === undefined
          ? Q4_SYMMETRIC_ZERO_POINT
          : (zeroPoints[row * zeroPointRowBytes + (block >>> 1)]! >>> ((block & 1) << 2)) & 0x0f;
      // Math.fround: the kernel multiplies in float32, and tests compare against these values.
      weight[row * k + column] = Math.fround((value - zeroPoint) * scales[blockIndex]!);
    }
  }
  return weight;
}
