// KV caches as onnxruntime returns them: one [1, kv, length, head_dim] tensor per layer per
// sequence, replaced by the (longer) present tensors after every step. Works on every execution
// provider; costs a copy of the cache inside onnxruntime and another into JavaScript per step, and
// batched decodes additionally pad the caches into one tensor and split them again.
import type * as ort from 'onnxruntime-node';
import type { KvCache, QwenOnnxSessions } from './onnx-sessions.js';
import { batchKvRows, kvTensorBytes, sliceKvRow, type KvElementType, type KvShape } from './kv-tensors.js';
import type { KvStore, StepRow } from './kv-store.js';
import type { KvUsage } from '../runner/model-runner.js';

export class ConcatKvStore implements KvStore {
  private readonly caches = new Map<number, KvCache>();
  private readonly prefixes = new Map<number, KvCache>();

  constructor(
    private readonly type: KvElementType,
    private readonly shape: KvShape,
    private readonly layers: number,
    private readonly vocabSize: number,
  ) {}

  async runSingle(sessions: QwenOnnxSessions, row: StepRow): Promise<Float32Array> {
    const past = this.caches.get(row.sequenceId) ?? sessions.emptyCache(1);
    const result = await sessions.decode({
      embeds: row.embeds,
      batchSize: 1,
      sequenceLength: row.tokens,
      attentionMask: new BigInt64Array(past.length + row.tokens).fill(1n),
      positionIds: row.positionIds,
      past,
      logitsToKeep: 1,
    });
    this.caches.set(row.sequenceId, result.present);
    return result.logits.slice();
  }

  async runDecodeBatch(sessions: QwenOnnxSessions, rows: StepRow[]): Promise<Float32Array[]> {
    const caches = rows.map((row) => this.caches.get(row.sequenceId) ?? sessions.emptyCache(1));
    const keys: ort.Tensor[] = [];
    const values: ort.Tensor[] = [];
    let maxLength = 0;
    for (let layer = 0; layer < this.layers; layer += 1) {
      const batched = batchKvRows(
        caches.map((cache) => cache.keys[layer]!),
        this.type,
        this.shape,
      );
      keys.push(batched.tensor);
      values.push(
        batchKvRows(
          caches.map((cache) => cache.values[layer]!),
          this.type,
          this.shape,
        ).tensor,
      );
      maxLength = batched.maxLength;
    }
    const result = await sessions.decode(
      batchedDecodeInput(
        rows,
        caches.map((cache) => cache.length),
        maxLength + 1,
        { keys, values, length: maxLength },
      ),
    );
    return rows.map((row, index) => {
      const length = caches[index]!.length + 1;
      const slice = (tensor: ort.Tensor) => sliceKvRow(tensor, index, length, this.type);
      this.caches.set(row.sequenceId, {
        keys: result.present.keys.map(slice),
        values: result.present.values.map(slice),
        length,
      });
      return result.logits.slice(index * this.vocabSize, (index + 1) * this.vocabSize);
    });
  }

  savePrefix(prefixId: number, sequenceId: number, length: number): void {
    const cache = this.caches.get(sequenceId);
    if (cache === undefined) throw new Error(`sequence ${sequenceId} has no cache`);
    this.prefixes.set(prefixId, this.truncate(cache, length));
  }

  restorePrefix(sequenceId: number, prefixId: number, length: number): void {
    const prefix = this.prefixes.get(prefixId);
    if (prefix === undefined) throw new Error(`prefix ${prefixId} is not held by the runner`);
    this.caches.set(sequenceId, this.truncate(prefix, length));
  }

  dropPrefix(prefixId: number): void {
    this.prefixes.delete(prefixId);
  }

  release(sequenceId: number): void {
    this.caches.delete(sequenceId);
  }

  usage(): KvUsage {
    const bytes = (caches: Iterable<KvCache>) => {
      let total = 0;
      for (const cache of caches) for (const tensor of [...cache.keys, ...cache.values]) total += kvTensorBytes(tensor);
      return total;
    };
    return { sequenceBytes: bytes(this.caches.values()), prefixBytes: bytes(this.prefixes.values()) };
  }

  clear(): void {
    this.caches.clear();
    this.prefixes.clear();
  }

  private truncate(cache: KvCache, length: number): KvCache {
    const slice = (tensor: ort.Tensor) => sliceKvRow(tensor, 0, length, this.type);
    return { keys: cache.keys.map(slice), values: cache.values.map(slice), length };
  }
}

/**
 * Decoder input for one decode token per row, rows right-padded to `total` positions: row i's
 * mask covers its `lengths[i]` cached positions plus the new one (GroupQueryAttention reads each
 * row's own length from it). A row of length 0 with a zero embedding is a harmless filler.
 */
export function batchedDecodeInput(
  rows: (StepRow | undefined)[],
  lengths: number[],
  total: number,
  past: KvCache,
  inPlace = false,
) {
  const batch = rows.length;
  const hidden = rows.find((row) => row !== undefined)!.embeds.length;
  const mask = new BigInt64Array(batch * total);
  const positions = new BigInt64Array(3 * batch);
  const embeds = new Float32Array(batch * hidden);
  rows.forEach((row, index) => {
    mask.fill(1n, index * total, index * total + lengths[index]! + 1);
    if (row === undefined) return;
    for (let axis = 0; axis < 3; axis += 1) positions[axis * batch + index] = row.positionIds[axis]!;
    embeds.set(row.embeds, index * hidden);
  });
  return {
    embeds,
    batchSize: batch,
    sequenceLength: 1,
    attentionMask: mask,
    positionIds: positions,
    past,
    logitsToKeep: 1,
    inPlace,
  };
}
