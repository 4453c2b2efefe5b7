// ModelRunner over the three onnxruntime sessions, with one KV cache per sequence. Runs in the
// thread that calls it (the worker thread in production; tests may call it directly).
import type * as ort from 'onnxruntime-node';
import type { ModelConfig } from '../../model-format/model-config.js';
import { QwenOnnxSessions, type KvCache } from '../qwen2-5-vl/onnx-sessions.js';
import { buildVisionEncoderInputs } from '../qwen2-5-vl/vision-inputs.js';
import type { GridThw } from '../qwen2-5-vl/grid-thw.js';
import { batchKvRows, emptyKvTensor, kvTensorBytes, sliceKvRow, type KvElementType, type KvShape } from './kv-tensors.js';
import type { ForwardResult, KvUsage, ModelRunner, SequenceChunk } from './model-runner.js';

export class OnnxModelRunner implements ModelRunner {
  readonly config: ModelConfig;
  readonly kvBytesPerToken: number;
  private readonly caches = new Map<number, KvCache>();
  private readonly prefixes = new Map<number, KvCache>();
  private readonly kvType: KvElementType;
  private readonly kvShape: KvShape;
  private readonly visionPadIds: Set<number>;

  constructor(private readonly sessions: QwenOnnxSessions) {
    this.config = sessions.config;
    this.kvType = sessions.kvElementType;
    const { numLayers, numKeyValueHeads, headDim } = this.config.text;
    this.kvShape = { kvHeads: numKeyValueHeads, headDim };
    this.kvBytesPerToken = numLayers * 2 * numKeyValueHeads * headDim * (this.kvType === 'float16' ? 2 : 4);
    this.visionPadIds = new Set([this.config.tokens.imageTokenId, this.config.tokens.videoTokenId]);
  }

  async encodeVision(pixelValues: Float32Array, grid: GridThw): Promise<Float32Array> {
    return this.sessions.encodeVision(pixelValues, buildVisionEncoderInputs(grid, this.config.vision));
  }

  async forward(chunks: SequenceChunk[]): Promise<ForwardResult> {
    const logits = new Map<number, Float32Array>();
    const decodes = chunks.filter((chunk) => chunk.tokenIds.length === 1 && chunk.visionFeatures === undefined);
    const prefills = chunks.filter((chunk) => !decodes.includes(chunk));
    if (decodes.length > 0) await this.runDecodeBatch(decodes, logits);
    for (const chunk of prefills) await this.runPrefillChunk(chunk, logits);
    return { logits };
  }

  async savePrefix(prefixId: number, sequenceId: number, length: number): Promise<void> {
    const cache = this.requireCache(sequenceId);
    this.prefixes.set(prefixId, this.truncate(cache, length));
  }

  async restorePrefix(sequenceId: number, prefixId: number, length: number): Promise<void> {
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

  async usage(): Promise<KvUsage> {
    const bytes = (caches: Iterable<KvCache>) => {
      let total = 0;
      for (const cache of caches) for (const tensor of [...cache.keys, ...cache.values]) total += kvTensorBytes(tensor);
      return total;
    };
    return { sequenceBytes: bytes(this.caches.values()), prefixBytes: bytes(this.prefixes.values()) };
  }

  async close(): Promise<void> {
    this.caches.clear();
    this.prefixes.clear();
    await this.sessions.release();
  }

  private cacheOf(sequenceId: number): KvCache {
    return this.caches.get(sequenceId) ?? this.emptyCache();
  }

  private requireCache(sequenceId: number): KvCache {
    const cache = this.caches.get(sequenceId);
    if (cache === undefined) throw new Error(`sequence ${sequenceId} has no cache`);
    return cache;
  }

  private emptyCache(): KvCache {
    const layers = this.config.text.numLayers;
    const empty = () => emptyKvTensor(this.kvType, this.kvShape);
    return { keys: Array.from({ length: layers }, empty), values: Array.from({ length: layers }, empty), length: 0 };
  }

  private truncate(cache: KvCache, length: number): KvCache {
    const slice = (tensor: ort.Tensor) => sliceKvRow(tensor, 0, length, this.kvType);
    return { keys: cache.keys.map(slice), values: cache.values.map(slice), length };
  }

  private async embedChunk(chunk: SequenceChunk): Promise<Float32Array> {
    const hidden = this.config.text.hiddenSize;
    const embeds = await this.sessions.embed(BigInt64Array.from(chunk.tokenIds, (id) => BigInt(id)), 1, chunk.tokenIds.length);
    if (chunk.visionFeatures !== undefined) {
      let row = 0;
      chunk.tokenIds.forEach((id, position) => {
        if (!this.visionPadIds.has(id)) return;
        embeds.set(chunk.visionFeatures!.subarray(row * hidden, (row + 1) * hidden), position * hidden);
        row += 1;
      });
      if (row * hidden !== chunk.visionFeatures.length) throw new Error(`sequence ${chunk.sequenceId}: ${row} vision pads for ${chunk.visionFeatures.length / hidden} feature rows`);
    }
    return embeds;
  }

  private async runPrefillChunk(chunk: SequenceChunk, logits: Map<number, Float32Array>): Promise<void> {
    const past = this.cacheOf(chunk.sequenceId);
    const count = chunk.tokenIds.length;
    const result = await this.sessions.decode({
      embeds: await this.embedChunk(chunk),
      batchSize: 1,
      sequenceLength: count,
      attentionMask: new BigInt64Array(past.length + count).fill(1n),
      positionIds: chunk.positionIds,
      past,
      logitsToKeep: 1,
    });
    this.caches.set(chunk.sequenceId, result.present);
    if (chunk.wantLogits) logits.set(chunk.sequenceId, result.logits.slice());
  }

  /**
   * Decode steps of several sequences in one forward: their caches are right-padded into one
   * batch (GroupQueryAttention reads each row's own length from the mask) and split back after.
   */
  private async runDecodeBatch(chunks: SequenceChunk[], logits: Map<number, Float32Array>): Promise<void> {
    if (chunks.length === 1) return this.runPrefillChunk(chunks[0]!, logits);
    const hidden = this.config.text.hiddenSize;
    const caches = chunks.map((chunk) => this.cacheOf(chunk.sequenceId));
    const layers = this.config.text.numLayers;
    const keys: ort.Tensor[] = [];
    const values: ort.Tensor[] = [];
    let maxLength = 0;
    for (let layer = 0; layer < layers; layer += 1) {
      const batchedKeys = batchKvRows(caches.map((cache) => cache.keys[layer]!), this.kvType, this.kvShape);
      keys.push(batchedKeys.tensor);
      values.push(batchKvRows(caches.map((cache) => cache.values[layer]!), this.kvType, this.kvShape).tensor);
      maxLength = batchedKeys.maxLength;
    }
    const batch = chunks.length;
    const total = maxLength + 1;
    const mask = new BigInt64Array(batch * total);
    const positions = new BigInt64Array(3 * batch);
    const embeds = new Float32Array(batch * hidden);
    for (const [row, chunk] of chunks.entries()) {
      mask.fill(1n, row * total, row * total + caches[row]!.length + 1);
      for (let axis = 0; axis < 3; axis += 1) positions[axis * batch + row] = chunk.positionIds[axis]!;
      embeds.set(await this.embedChunk(chunk), row * hidden);
    }
    const result = await this.sessions.decode({
      embeds,
      batchSize: batch,
      sequenceLength: 1,
      attentionMask: mask,
      positionIds: positions,
      past: { keys, values, length: maxLength },
      logitsToKeep: 1,
    });
    const vocab = this.config.text.vocabSize;
    for (const [row, chunk] of chunks.entries()) {
      const length = caches[row]!.length + 1;
      const slice = (tensor: ort.Tensor) => sliceKvRow(tensor, row, length, this.kvType);
      this.caches.set(chunk.sequenceId, { keys: result.present.keys.map(slice), values: result.present.values.map(slice), length });
      if (chunk.wantLogits) logits.set(chunk.sequenceId, result.logits.slice(row * vocab, (row + 1) * vocab));
    }
  }
}
