// Per-output-channel symmetric int8 weights in the layout of onnxruntime's com.microsoft
// DynamicQuantizeMatMul (docs/ContribOperators.md):
//
//   B           int8  [K, N]   (ONNX MatMul's B: the PyTorch [N, K] weight transposed)
//   b_scale     float [N]      one scale per output channel (column of B)
//   b_zero_point               absent: 0 for every column (symmetric)
//   weight[n, k] = q[k, n] * scale[n]
//
// The kernel quantizes the activations per call to uint8 (per tensor, asymmetric) and runs MLAS's
// u8s8 integer GEMM (VNNI on this CPU). Symmetric weights in [-127, 127] leave out -128, so the
// product of two extreme values never needs the one code with no positive twin, as onnxruntime's
// own quantizer does for weights (reduce_range aside). Per-channel scales follow each output row's
// own range; the int4 format needs blocks along K for the same accuracy because 16 levels are few.

export const INT8_MAX_VALUE = 127;

export interface QuantizedInt8Weight {
  /** [k, n] row-major: DynamicQuantizeMatMul input B. */
  values: Int8Array;
  /** [n]: DynamicQuantizeMatMul input b_scale. */
  scales: Float32Array;
  /** out_features. */
  n: number;
  /** in_features. */
  k: number;
}

/**
 * Quantizes a Linear weight in PyTorch layout ([n = out_features, k = in_features], row-major) to
 * int8 with one scale per output channel, transposed for `x @ B`. Throws on NaN or infinite weights
 * rather than writing a silently broken model.
 */
export function quantizeInt8(weight: Float32Array, n: number, k: number): QuantizedInt8Weight {
  if (!Number.isInteger(n) || !Number.isInteger(k) || n <= 0 || k <= 0) {
    throw new RangeError(`quantizeInt8: shape [${n}, ${k}] must be positive integers`);
  }
  if (weight.length !== n * k) throw new RangeError(`quantizeInt8: ${weight.length} values do not fill [${n}, ${k}]`);
  const scales = new Float32Array(n);
  const inverses = new Float32Array(n);
  for (let row = 0; row < n; row += 1) {
    const start = row * k;
    let largest = 0;
    // x - x is 0 for finite x and NaN for NaN or ±Infinity: one add flags a bad row.
    let nonFinite = 0;
    for (let index = start; index < start + k; index += 1) {
      const value = weight[index]!;
      const magnitude = value < 0 ? -value : value;
      if (magnitude > largest) largest = magnitude;
      nonFinite += value - value;
    }
    if (nonFinite !== 0) throw new RangeError(`quantizeInt8: weight row ${row} holds NaN or Infinity`);
    scales[row] = Math.fround(largest / INT8_MAX_VALUE);
    // An all-zero row has scale 0 and inverse 0: every value quantizes to 0.
    inverses[row] = scales[row] === 0 ? 0 : 1 / scales[row]!;
  }
  // Transposing while quantizing, in tiles, so both the reads and the writes stay in cache.
  const values = new Int8Array(k * n);
  const tile = 64;
  for (let rowStart = 0; rowStart < n; rowStart += tile) {
    const rowEnd = Math.min(n, rowStart + tile);
    for (let columnStart = 0; columnStart < k; columnStart += tile) {
      const columnEnd = Math.min(k, columnStart + tile);
      for (let row = rowStart; row < rowEnd; row += 1) {
        const inverse = inverses[row]!;
        for (let column = columnStart; column < columnEnd; column += 1) {
          // Math.round rounds halves up; |scaled| <= 127 by construction, the clamp guards the
          // float rounding of the largest value.
          const rounded = Math.round(weight[row * k + column]! * inverse);
          values[column * n + row] =
            rounded > INT8_MAX_VALUE ? INT8_MAX_VALUE : rounded < -INT8_MAX_VALUE ? -INT8_MAX_VALUE : rounded;
        }
      }
    }
  }
  return { values, scales, n, k };
}

/** The weights DynamicQuantizeMatMul computes with, back in PyTorch layout [n, k]. */
export function dequantizeInt8(quantized: QuantizedInt8Weight): Float32Array {
  const { values, scales, n, k } = quantized;
  if (values.length !== n * k || scales.length !== n) {
    throw new RangeError(`dequantizeInt8: tensor sizes do not match [${n}, ${k}]`);
  }
  const weight = new Float32Array(n * k);
  for (let row = 0; row < n; row += 1) {
    for (let column = 0; column < k; column += 1) {
      weight[row * k + column] = Math.fround(values[column * n + row]! * scales[row]!);
    }
  }
  return weight;
}
