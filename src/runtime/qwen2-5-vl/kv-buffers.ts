// Preallocated KV buffers: per layer one [rows, kv_heads, capacity, head_dim] tensor for keys and
// one for values, fed to the decoder as past AND bound as present (in-place mode). A row holds
// one sequence; positions past its length are unused.
import * as ort from 'onnxruntime-node';
import type { KvElementType, KvShape } from './kv-tensors.js';

type KvArray = Float32Array | Uint16Array;

export class KvBuffers {
  readonly keys: ort.Tensor[];
  readonly values: ort.Tensor[];

  constructor(
    readonly type: KvElementType,
    readonly shape: KvShape,
    readonly layers: number,
    readonly rows: number,
    readonly capacity: number,
  ) {
    const make = () => {
      const length = rows * shape.kvHeads * capacity * shape.headDim;
      const data = type === 'float16' ? new Uint16Array(length) : new Float32Array(length);
      return new ort.Tensor(type, data, [rows, shape.kvHeads, capacity, shape.headDim]);
    };
    this.keys = Array.from({ length: layers }, make);
    this.values = Array.from({ length: layers }, make);
  }

  get bytes(): number {
    return 2 * this.layers * (this.keys[0]!.data as KvArray).byteLength;
  }

  /** Copies the first `length` positions of `fromRow` in `source` into `toRow` here. */
  copyFrom(source: KvBuffers, fromRow: number, toRow: number, length: number): void {
    if (length > this.capacity || length > source.capacity)
      throw new RangeError(`KV copy of ${length} positions exceeds a capacity`);
    const { kvHeads, headDim } = this.shape;
    const span = length * headDim;
    for (let layer = 0; layer < this.layers; layer += 1) {
      for (const [from, to] of [
        [source.keys[layer]!, this.keys[layer]!],
        [source.values[layer]!, this.values[layer]!],
      ] as const) {
        const input = from.data as KvArray;
        const output = to.data as KvArray;
        for (let head = 0; head < kvHeads; head += 1) {
          const start = (fromRow * kvHeads + head) * source.capacity * headDim;
          output.set(input.subarray(start, start + span), (toRow * kvHeads + head) * this.capacity * headDim);
        }
      }
    }
  }
}
