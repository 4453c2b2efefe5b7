// How weights are stored in each model variant (docs/ARCHITECTURE.md "The model folder"): fp32 (no file
// suffix), fp16 (`_fp16`, for the CUDA provider; onnxruntime-node cannot take bf16 tensors) and q4
// (`_q4`, int4 weight-only MatMulNBits for the CPU provider, activations in float32) and int8
// (`_int8`, per-output-channel int8 weights for DynamicQuantizeMatMul, which quantizes the
// activations per call and runs an integer GEMM: bench/matmul-int8 measured it 1.6-2.9x faster
// than q4 at vision and prefill shapes).
import { ElementType } from '../onnx/onnx-types.js';
import { float32ToFloat16Bits } from '../float16.js';
import { quantizeQ4 } from '../quantize-q4.js';
import { quantizeInt8 } from '../quantize-int8.js';

import type { WeightFormat } from '../../model-format/model-files.js';

export type { WeightFormat };

export interface Q4Settings {
  blockSize: number;
  accuracyLevel: number;
  symmetric: boolean;
}

export type EncodedLinear =
  | { kind: 'dense'; elementType: ElementType; bytes: Uint8Array }
  | {
      kind: 'q4';
      packed: Uint8Array;
      scales: Uint8Array;
      zeroPoints: Uint8Array | undefined;
      blockSize: number;
      blockCount: number;
    }
  | { kind: 'int8'; values: Uint8Array; scales: Uint8Array };

/** Float values in the given element type as little-endian bytes. */
export function encodeFloatTensor(values: Float32Array, type: ElementType): Uint8Array {
  if (type === ElementType.float16) {
    const bits = float32ToFloat16Bits(values);
    return new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
  }
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** [out, in] -> [in, out], the layout ONNX MatMul takes for `x @ W`. */
export function transpose(weight: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(rows * columns);
  const tile = 64;
  for (let rowStart = 0; rowStart < rows; rowStart += tile) {
    const rowEnd = Math.min(rows, rowStart + tile);
    for (let columnStart = 0; columnStart < columns; columnStart += tile) {
      const columnEnd = Math.min(columns, columnStart + tile);
      for (let row = rowStart; row < rowEnd; row += 1) {
        for (let column = columnStart; column < columnEnd; column += 1) {
          out[column * rows + row] = weight[row * columns + column]!;
        }
      }
    }
  }
  return out;
}

export function encodeLinearWeight(
  weight: Float32Array,
  outFeatures: number,
  inFeatures: number,
  format: WeightFormat,
  q4: Q4Settings,
): EncodedLinear {
  if (format === 'q4') {
    const quantized = quantizeQ4(weight, outFeatures, inFeatures, { blockSize: q4.blockSize, symmetric: q4.symmetric });
    return {
      kind: 'q4',
      packed: quantized.packed,
      scales: new Uint8Array(quantized.scales.buffer, quantized.scales.byteOffset, quantized.scales.byteLength),
      zeroPoints: quantized.zeroPoints,
      blockSize: quantized.blockSize,
      blockCount: quantized.nBlocks,
    };
  }
  if (format === 'int8') {
    const quantized = quantizeInt8(weight, outFeatures, inFeatures);
    return {
      kind: 'int8',
      values: new Uint8Array(quantized.values.buffer, quantized.values.byteOffset, quantized.values.byteLength),
      scales: new Uint8Array(quantized.scales.buffer, quantized.scales.byteOffset, quantized.scales.byteLength),
    };
  }
  const elementType = format === 'fp16' ? ElementType.float16 : ElementType.float32;
  return {
    kind: 'dense',
    elementType,
    bytes: encodeFloatTensor(transpose(weight, outFeatures, inFeatures), elementType),
  };
}
