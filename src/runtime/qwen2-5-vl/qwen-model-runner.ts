// ModelRunner of Qwen2.5-VL over the three onnxruntime sessions. Runs in the thread that calls it
// (the model worker in production; tests may call it directly). It keeps what a step is built
// from: each request's prompt (token ids, M-RoPE positions, rope delta), the vision features of
// its media, and the KV caches (in place on CPU, concatenated on other execution providers).
import type { ModelConfig } from '../../model-format/model-config.js';
import type { ModelFamily } from '../model-family.js';
import type { KvUsage, ModelRunner, RunnerPlan, RunnerPrompt, StepResult } from '../runner/model-runner.js';
import { ConcatKvStore } from './concat-kv-store.js';
import { gridPatchCount, type GridThw } from './grid-thw.js';
import { InPlaceKvStore } from './in-place-kv-store.js';
import type { KvStore, StepRow } from './kv-store.js';
import { placeVisionFeatures } from './merge-vision-embeddings.js';
import type { QwenOnnxSessions } from './onnx-sessions.js';
import { MAX_POSITION_ID } from './prompt-validation.js';
import { qwenFamily, type QwenPromptLayout } from './qwen-family.js';
import { buildVisionEncoderInputs } from './vision-inputs.js';
import { concatenateFloat32 } from '../../util/concatenate.js';

export type KvMode = 'in-place' | 'concat';

/** New tokens of one sequence in one forward pass. */
export interface SequenceChunk {
  sequenceId: number;
  tokenIds: Int32Array;
  /** Feature rows for the vision pad tokens among `tokenIds`, in order ([pads, hidden]). */
  visionFeatures?: Float32Array;
  /** int64 [3, tokens]: M-RoPE positions of these tokens. */
  positionIds: BigInt64Array;
  /** Return the logits of the chunk's last token. */
  wantLogits: boolean;
  /** Positions the sequence may reach (prompt + max new tokens): sizes its KV buffer once. */
  kvCapacity?: number;
}

interface HeldPrompt {
  tokenIds: Int32Array;
  layout: QwenPromptLayout;
  media: { features: Float32Array; tokenStart: number; tokenCount: number }[];
}

export class QwenModelRunner implements ModelRunner {
  readonly config: ModelConfig;
  readonly family: ModelFamily;
  readonly kvBytesPerToken: number;
  private readonly store: KvStore;
  private readonly visionPadIds: Set<number>;
  private readonly features = new Map<number, Float32Array>();
  private readonly prompts = new Map<number, HeldPrompt>();
  /** Each running sequence's prompt and cached positions. */
  private readonly sequences = new Map<number, { prompt: HeldPrompt; cached: number }>();

  constructor(
    private readonly sessions: QwenOnnxSessions,
    kvMode: KvMode = 'in-place',
  ) {
    this.config = sessions.config;
    this.family = qwenFamily(this.config);
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

  async encodeVision(featureId: number, pixelValues: Float32Array, grid: GridThw): Promise<void> {
    const features = await this.sessions.encodeVision(pixelValues, buildVisionEncoderInputs(grid, this.config.vision));
    const rows = gridPatchCount(grid) / this.config.vision.spatialMergeSize ** 2;
    if (features.length !== rows * this.config.text.hiddenSize)
      throw new Error(`vision encoder returned ${features.length} values for ${rows} tokens`);
    this.features.set(featureId, features);
  }

  /** The features `encodeVision` keeps under `featureId` (parity and benchmark access). */
  visionFeatures(featureId: number): Float32Array | undefined {
    return this.features.get(featureId);
  }

  dropVision(featureId: number): void {
    this.features.delete(featureId);
  }

  async execute(plan: RunnerPlan): Promise<StepResult> {
    for (const { promptId, prompt } of plan.prompts) this.prompts.set(promptId, this.holdPrompt(prompt));
    const rejected: StepResult['rejected'] = [];
    for (const restore of plan.restores) {
      this.store.restorePrefix(restore.sequenceId, restore.prefixId, restore.length, restore.kvCapacity);
      this.sequences.set(restore.sequenceId, { prompt: this.heldPrompt(restore.promptId), cached: restore.length });
    }
    const chunks: SequenceChunk[] = [];
    for (const decode of plan.decodes) {
      const state = this.sequences.get(decode.sequenceId);
      if (state === undefined) throw new Error(`sequence ${decode.sequenceId} decodes before its prompt ran`);
      // Second line behind admission's validation: a bad position fails this sequence alone.
      const position = state.cached + state.prompt.layout.ropeDelta;
      if (!Number.isSafeInteger(position) || position < 0 || position > MAX_POSITION_ID) {
        rejected.push({ sequenceId: decode.sequenceId, reason: `decode position ${position} is out of range` });
        continue;
      }
      const positions = BigInt(position);
      chunks.push({
        sequenceId: decode.sequenceId,
        tokenIds: Int32Array.of(decode.tokenId),
        positionIds: BigInt64Array.of(positions, positions, positions),
        wantLogits: true,
      });
    }
    for (const work of plan.prefills) {
      const prompt = this.heldPrompt(work.promptId);
      if (!this.sequences.has(work.sequenceId)) this.sequences.set(work.sequenceId, { prompt, cached: 0 });
      chunks.push(this.prefillChunk(prompt, work.sequenceId, work.start, work.length, work.last, work.kvCapacity));
    }
    const { logits } = await this.forward(chunks);
    for (const chunk of chunks) this.sequences.get(chunk.sequenceId)!.cached += chunk.tokenIds.length;
    for (const save of plan.saves) this.store.savePrefix(save.prefixId, save.sequenceId, save.length);
    return { logits, rejected };
  }

  /**
   * One forward pass over explicit chunks: single-token chunks (decodes) run as one batch, longer
   * chunks (prefill) one sequence at a time. A sequence seen for the first time starts empty.
   */
  async forward(chunks: SequenceChunk[]): Promise<{ logits: Map<number, Float32Array> }> {
    const logits = new Map<number, Float32Array>();
    const decodes = chunks.filter((chunk) => chunk.tokenIds.length === 1 && chunk.visionFeatures === undefined);
    const prefills = chunks.filter((chunk) => !decodes.includes(chunk));
    if (decodes.length === 1) prefills.unshift(decodes.pop()!);
    if (decodes.length > 0) {
      const rows = await this.decodeRows(decodes);
      const results = await this.store.runDecodeBatch(this.sessions, rows);
      decodes.forEach((chunk, index) => chunk.wantLogits && logits.set(chunk.sequenceId, results[index]!));
    }
    for (const chunk of prefills) {
      const result = await this.store.runSingle(this.sessions, await this.stepRow(chunk));
      if (chunk.wantLogits) logits.set(chunk.sequenceId, result);
    }
    return { logits };
  }

  /** Test and benchmark access to the KV store's prefix operations. */
  savePrefix(prefixId: number, sequenceId: number, length: number): void {
    this.store.savePrefix(prefixId, sequenceId, length);
  }

  restorePrefix(sequenceId: number, prefixId: number, length: number, capacity?: number): void {
    this.store.restorePrefix(sequenceId, prefixId, length, capacity);
  }

  dropPrefix(prefixId: number): void {
    this.store.dropPrefix(prefixId);
  }

  release(release: { sequenceIds: number[]; promptIds: number[] }): void {
    for (const id of release.sequenceIds) {
      this.sequences.delete(id);
      this.store.release(id);
    }
    for (const id of release.promptIds) this.prompts.delete(id);
  }

  async usage(): Promise<KvUsage> {
    return this.store.usage();
  }

  async close(): Promise<void> {
    this.store.clear();
    this.features.clear();
    this.prompts.clear();
    await this.sessions.release();
  }

  private heldPrompt(promptId: number): HeldPrompt {
    const prompt = this.prompts.get(promptId);
    if (prompt === undefined) throw new Error(`prompt ${promptId} was never handed over`);
    return prompt;
  }

  /** The prompt with references to its features, so that a later dropVision cannot take them away. */
  private holdPrompt(prompt: RunnerPrompt): HeldPrompt {
    return {
      tokenIds: prompt.tokenIds,
      layout: prompt.layout as QwenPromptLayout,
      media: prompt.media.map((span) => {
        const features = this.features.get(span.featureId);
        if (features === undefined) throw new Error(`vision features ${span.featureId} are not held`);
        return { features, tokenStart: span.tokenStart, tokenCount: span.tokenCount };
      }),
    };
  }

  private prefillChunk(
    prompt: HeldPrompt,
    sequenceId: number,
    start: number,
    length: number,
    last: boolean,
    kvCapacity: number,
  ): SequenceChunk {
    const total = prompt.tokenIds.length;
    const positions = new BigInt64Array(3 * length);
    for (let axis = 0; axis < 3; axis += 1)
      positions.set(
        prompt.layout.positionIds.subarray(axis * total + start, axis * total + start + length),
        axis * length,
      );
    const features = featuresForRange(prompt, start, length, this.config.text.hiddenSize);
    return {
      sequenceId,
      tokenIds: prompt.tokenIds.subarray(start, start + length),
      positionIds: positions,
      wantLogits: last,
      kvCapacity,
      ...(features === undefined ? {} : { visionFeatures: features }),
    };
  }

  /** Single-token chunks embedded in one call (one embedding run per step, not one per row). */
  private async decodeRows(chunks: SequenceChunk[]): Promise<StepRow[]> {
    const hidden = this.config.text.hiddenSize;
    const ids = BigInt64Array.from(chunks, (chunk) => BigInt(chunk.tokenIds[0]!));
    const embeds = await this.sessions.embed(ids, chunks.length, 1);
    return chunks.map((chunk, index) => ({
      sequenceId: chunk.sequenceId,
      embeds: embeds.subarray(index * hidden, (index + 1) * hidden),
      tokens: 1,
      positionIds: chunk.positionIds,
      capacity: chunk.kvCapacity,
    }));
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

/** Feature rows for the vision pads in prompt positions [start, start + length). */
function featuresForRange(prompt: HeldPrompt, start: number, length: number, hidden: number): Float32Array | undefined {
  const parts: Float32Array[] = [];
  for (const item of prompt.media) {
    const from = Math.max(start, item.tokenStart);
    const to = Math.min(start + length, item.tokenStart + item.tokenCount);
    if (from >= to) continue;
    parts.push(item.features.subarray((from - item.tokenStart) * hidden, (to - item.tokenStart) * hidden));
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : concatenateFloat32(parts);
}
