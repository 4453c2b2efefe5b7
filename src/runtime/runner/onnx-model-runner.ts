// ModelRunner over the three onnxruntime sessions. Runs in the thread that calls it (the worker
// thread in production; tests may call it directly). KV caches live in a KvStore: in place on
// CPU, concatenated on other execution providers.
import type { ModelConfig } from '../../model-format/model-config.js';
import type { QwenOnnxSessions } from '../qwen2-5-vl/onnx-sessions.js';
import { buildVisionEncoderInputs } from '../qwen2-5-vl/vision-inputs.js';
import { placeVisionFeatures } from '../qwen2-5-vl/merge-vision-embeddings.js';
import type { GridThw } from '../qwen2-5-vl/grid-thw.js';
import { ConcatKvStore } from './concat-kv-store.js';
import { InPlaceKvStore } from './in-place-kv-store.js';
import type { KvStore, StepRow } from './kv-store.js';
import type { ForwardResult, KvUsage, ModelRunner, SequenceChunk } from './model-runner.js';

export type KvMode = 'in-place' | 'concat';

export class OnnxModelRunner implements ModelRunner {
  readonly config: ModelConfig;
  readonly kvBytesPerToken: number;
  private readonly store: KvStore;
  private readonly visionPadIds: Set<number>;

  constructor(
    private readonly sessions: QwenOnnxSessions,
    kvMode: KvMode = 'in-place',
  ) {
    this.config = sessions.config;
    const type = sessions.kvElementType;
    const { numLayers, numKeyValueHeads, headDim, vocabSize } = this.config.text;
    const shape = { kvHeads: numKeyValueHeads, headDim };
    this.kvBytesPerToken = numLayers * 2 * numKeyValueHeads * headDim * (type === 'float16' ? 2 : 4);
    this.store =
      kvMode === 'in-place'
        ? new InPlaceKvStore(type, shape, numLayers, vocabSize)
        : new ConcatKvStore(type, shape, numLayers, vocabSize);
    this.visionPadIds = new Set([this.config.tokens.imageTokenId, this.config.tokens.videoTokenId]);
  }

  async encodeVision(pixelValues: Float32Array, grid: GridThw): Promise<Float32Array> {
    return this.sessions.encodeVision(pixelValues, buildVisionEncoderInputs(grid, this.config.vision));
  }

  async forward(chunks: SequenceChunk[]): Promise<ForwardResult> {
    const logits = new Map<number, Float32Array>();
    const decodes = chunks.filter((chunk) => chunk.tokenIds.length === 1 && chunk.visionFeatures === undefined);
    const prefills = chunks.filter((chunk) => !decodes.includes(chunk));
    if (decodes.length === 1) prefills.unshift(decodes.pop()!);
    if (decodes.length > 0) {
      const rows = await Promise.all(decodes.map((chunk) => this.stepRow(chunk)));
      const results = await this.store.runDecodeBatch(this.sessions, rows);
      decodes.forEach((chunk, index) => chunk.wantLogits && logits.set(chunk.sequenceId, results[index]!));
    }
    for (const chunk of prefills) {
      const result = await this.store.runSingle(this.sessions, await this.stepRow(chunk));
      if (chunk.wantLogits) logits.set(chunk.sequenceId, result);
    }
    return { logits };
  }

  async savePrefix(prefixId: number, sequenceId: number, length: number): Promise<void> {
    this.store.savePrefix(prefixId, sequenceId, length);
  }

  async restorePrefix(sequenceId: number, prefixId: number, length: number, capacity?: number): Promise<void> {
    this.store.restorePrefix(sequenceId, prefixId, length, capacity);
  }

  dropPrefix(prefixId: number): void {
    this.store.dropPrefix(prefixId);
  }

  release(sequenceId: number): void {
    this.store.release(sequenceId);
  }

  async usage(): Promise<KvUsage> {
    return this.store.usage();
  }

  async close(): Promise<void> {
    this.store.clear();
    await this.sessions.release();
  }

  private async stepRow(chunk: SequenceChunk): Promise<StepRow> {
    const hidden = this.config.text.hiddenSize;
    const embeds = await this.sessions.embed(
      BigInt64Array.from(chunk.tokenIds, (id) => BigInt(id)),
      1,
      chunk.tokenIds.length,
    );
    if (chunk.visionFeatures !== undefined)
      placeVisionFeatures(embeds, chunk.tokenIds, this.visionPadIds, chunk.visionFeatures, hidden);
    return {
      sequenceId: chunk.sequenceId,
      embeds,
      tokens: chunk.tokenIds.length,
      positionIds: chunk.positionIds,
      capacity: chunk.kvCapacity,
    };
  }
}
