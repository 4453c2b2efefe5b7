// KV cache tensors in host memory: [batch, kv_heads, length, head_dim] per layer, float32 or
// float16 (as raw 16-bit words). Slicing, batching rows of different lengths (right-padded, as
// GroupQueryAttention expects) and splitting a batched result back into rows.
import * as ort from 'onnxruntime-node';

export type KvElementType = 'float32' | 'float16';
type KvArray = Float32Array | Uint16Array;

export interface KvShape {
  kvHeads: number;
  headDim: number;
}

function allocate(type: KvElementType, length: number): KvArray {
  return type === 'float16' ? new Uint16Array(length) : new Float32Array(length);
}

function dataOf(tensor: ort.Tensor): KvArray {
  return tensor.data as KvArray;
}

/** The first `length` positions of row `row` of a [batch, heads, total, dim] tensor, as [1, heads, length, dim]. */
export function sliceKvRow(tensor: ort.Tensor, row: number, length: number, type: KvElementType): ort.Tensor {
  const [, heads, total, dim] = tensor.dims as [number, number, number, number];
  if (length > total) throw new RangeError(`KV slice of ${length} positions from a cache of ${total}`);
  const source = dataOf(tensor);
  const out = allocate(type, heads * length * dim);
  for (let head = 0; head < heads; head += 1) {
    const from = (row * heads + head) * total * dim;
    out.set(source.subarray(from, from + length * dim), head * length * dim);
  }
  return new ort.Tensor(type, out, [1, heads, length, dim]);
}

/** Rows of different lengths -> one [rows, heads, maxLength, dim] tensor, each row right-padded with zeros. */
export function batchKvRows(
  rows: ort.Tensor[],
  type: KvElementType,
  shape: KvShape,
): { tensor: ort.Tensor; maxLength: number } {
  const maxLength = Math.max(0, ...rows.map((row) => row.dims[2]!));
  const { kvHeads: heads, headDim: dim } = shape;
  const out = allocate(type, rows.length * heads * maxLength * dim);
  rows.forEach((row, index) => {
    const length = row.dims[2]!;
    const source = dataOf(row);
    for (let head = 0; head < heads; head += 1) {
      out.set(
        source.subarray(head * length * dim, (head + 1) * length * dim),
        (index * heads + head) * maxLength * dim,
      );
    }
  });
  return { tensor: new ort.Tensor(type, out, [rows.length, heads, maxLength, dim]), maxLength };
}

export function kvTensorBytes(tensor: ort.Tensor): number {
  return dataOf(tensor).byteLength;
}
