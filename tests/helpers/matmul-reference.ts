// The reference the quantized-matmul tests compare onnxruntime's kernels with: a product in doubles,
// and a scale-free error measure.

/** input [rows, k] times weight^T, weight [n, k] (PyTorch Linear layout), in doubles; rows = input.length / k. */
export function referenceMatMul(input: Float32Array, weight: Float32Array, n: number, k: number): Float64Array {
  const rows = input.length / k;
  const output = new Float64Array(rows * n);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < n; column += 1) {
      let sum = 0;
      for (let inner = 0; inner < k; inner += 1) sum += input[row * k + inner]! * weight[column * k + inner]!;
      output[row * n + column] = sum;
    }
  }
  return output;
}

/** max |actual - expected| / max |expected|: scale-free, and not blown up by outputs near 0. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  let largest = 0;
  for (let index = 0; index < expected.length; index += 1) {
    worst = Math.max(worst, Math.abs(actual[index]! - expected[index]!));
    largest = Math.max(largest, Math.abs(expected[index]!));
  }
  return worst / largest;
}
