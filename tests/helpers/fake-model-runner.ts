// A deterministic ModelRunner test double for engine tests, executing the engine's step plans as
// the real runner does (prompts handed over once, token ranges per sequence, features kept here
// by id). It keeps each sequence's "KV cache" as the token ids fed to it, so its outputs depend on
// exactly what was fed: the greedy token after a history is a hash of the whole history (prompt,
// restored prefix and generated tokens alike). A sequence that skipped, repeated or mixed up tokens
// therefore generates different text. Every call is recorded; inconsistencies (a restore of a
// missing prefix, a prompt whose features are not held, positions that do not continue the cache)
// are collected in `problems` for tests to assert. Prompts are laid out by the real Qwen2.5-VL
// family, whose positions it checks.
import { setTimeout as sleep } from 'node:timers/promises';
import type { GridThw } from '../../src/media/patchify.js';
import type { ModelConfig } from '../../src/model-format/model-config.js';
import type { ModelFamily } from '../../src/runtime/model-family.js';
import { qwenFamily, type QwenPromptLayout } from '../../src/runtime/qwen2-5-vl/qwen-family.js';
import type {
  KvUsage,
  ModelRunner,
  RunnerPlan,
  RunnerPrompt,
  StepResult,
} from '../../src/runtime/runner/model-runner.js';

/** New tokens of one sequence in one step, as the fake builds them from the plan. */
export interface SequenceChunk {
  sequenceId: number;
  tokenIds: Int32Array;
  /** int64 [3, tokens]. */
  positionIds: BigInt64Array;
  wantLogits: boolean;
  /** Rows of held vision features that fill the chunk's pads. */
  visionRows: number;
}

/** Byte-level BPE ids of 'a'..'z' (the GPT-2/Qwen byte alphabet puts '!'..'~' at ids 0..93). */
export const LETTER_TOKEN_IDS: readonly number[] = Array.from({ length: 26 }, (_, index) => 64 + index);

export interface FakeModelRunnerOptions {
  config: ModelConfig;
  /** Bytes one cached token "occupies"; default 1024. */
  kvBytesPerToken?: number;
  /** Greedy next token after a sequence's history; default: FNV-1a of the history over `tokenPool`. */
  nextToken?: (history: readonly number[], sequenceId: number) => number;
  /** Tokens the default `nextToken` picks from; default 'a'..'z'. */
  tokenPool?: readonly number[];
  /** Simulated model time per forward step. */
  forwardDelayMs?: number;
  /** Awaited at the start of every forward step (tests hold the engine mid-step with it). */
  beforeForward?: (chunks: readonly SequenceChunk[]) => Promise<void> | void;
}

export interface RecordedChunk {
  sequenceId: number;
  /** Cached positions of the sequence before this chunk. */
  start: number;
  tokenIds: number[];
  wantLogits: boolean;
  visionRows: number;
}

export type RunnerEvent =
  | { kind: 'forward'; step: number; chunks: RecordedChunk[] }
  | { kind: 'encodeVision'; tokens: number }
  | { kind: 'savePrefix'; prefixId: number; sequenceId: number; length: number }
  | { kind: 'restorePrefix'; sequenceId: number; prefixId: number; length: number }
  | { kind: 'dropPrefix'; prefixId: number }
  | { kind: 'release'; sequenceId: number };

export function historyHash(history: readonly number[]): number {
  let hash = 0x811c9dc5;
  for (const token of history) {
    hash ^= token & 0xffff;
    hash = Math.imul(hash, 0x01000193);
    hash ^= token >>> 16;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export class FakeModelRunner implements ModelRunner {
  readonly config: ModelConfig;
  readonly family: ModelFamily;
  readonly kvBytesPerToken: number;
  readonly events: RunnerEvent[] = [];
  readonly problems: string[] = [];
  /** Each live sequence's cached token ids. */
  readonly caches = new Map<number, number[]>();
  readonly prefixes = new Map<number, number[]>();
  /** Vision features held by id, and prompts handed over. */
  readonly features = new Map<number, Float32Array>();
  readonly prompts = new Map<number, RunnerPrompt>();
  private readonly sequencePrompts = new Map<number, RunnerPrompt>();
  private readonly released = new Set<number>();
  private readonly pool: readonly number[];
  private steps = 0;
  closed = false;

  constructor(private readonly options: FakeModelRunnerOptions) {
    this.config = options.config;
    this.family = qwenFamily(options.config);
    this.kvBytesPerToken = options.kvBytesPerToken ?? 1024;
    this.pool = options.tokenPool ?? LETTER_TOKEN_IDS;
  }

  /** Every forward step, in order. */
  get forwards(): Extract<RunnerEvent, { kind: 'forward' }>[] {
    return this.events.filter((event): event is Extract<RunnerEvent, { kind: 'forward' }> => event.kind === 'forward');
  }

  /** Every chunk fed for one sequence, in order. */
  chunksOf(sequenceId: number): RecordedChunk[] {
    return this.forwards.flatMap((event) => event.chunks.filter((chunk) => chunk.sequenceId === sequenceId));
  }

  /** Sequence ids in the order the runner first saw them (by forward or restore). */
  sequenceIds(): number[] {
    const seen: number[] = [];
    for (const event of this.events) {
      const ids =
        event.kind === 'forward'
          ? event.chunks.map((chunk) => chunk.sequenceId)
          : event.kind === 'restorePrefix'
            ? [event.sequenceId]
            : [];
      for (const id of ids) if (!seen.includes(id)) seen.push(id);
    }
    return seen;
  }

  greedyToken(history: readonly number[], sequenceId: number): number {
    return this.options.nextToken?.(history, sequenceId) ?? this.pool[historyHash(history) % this.pool.length]!;
  }

  encodeVision(featureId: number, pixelValues: Float32Array, grid: GridThw): Promise<void> {
    const merge = this.config.vision.spatialMergeSize ** 2;
    const tokens = (grid[0] * grid[1] * grid[2]) / merge;
    this.events.push({ kind: 'encodeVision', tokens });
    const seed = historyHash(Array.from(pixelValues.subarray(0, 64), (value) => Math.round(value * 1000)));
    const features = new Float32Array(tokens * this.config.text.hiddenSize);
    for (let index = 0; index < features.length; index += 1) features[index] = ((seed + index) % 97) / 97;
    this.features.set(featureId, features);
    return Promise.resolve();
  }

  dropVision(featureId: number): void {
    this.features.delete(featureId);
  }

  async execute(plan: RunnerPlan): Promise<StepResult> {
    const chunks: SequenceChunk[] = [];
    for (const { promptId, prompt } of plan.prompts) {
      if (this.prompts.has(promptId)) this.problems.push(`prompt ${promptId} handed over twice`);
      for (const span of prompt.media)
        if (!this.features.has(span.featureId))
          this.problems.push(`prompt ${promptId}: features ${span.featureId} not held`);
      this.prompts.set(promptId, prompt);
    }
    for (const restore of plan.restores) {
      this.restorePrefix(restore.sequenceId, restore.prefixId, restore.length);
      this.sequencePrompts.set(restore.sequenceId, this.promptOf(restore.promptId));
    }
    for (const decode of plan.decodes) {
      const prompt = this.sequencePrompts.get(decode.sequenceId);
      const cached = this.caches.get(decode.sequenceId)?.length ?? 0;
      const position = BigInt(cached + ((prompt?.layout as QwenPromptLayout | undefined)?.ropeDelta ?? 0));
      chunks.push({
        sequenceId: decode.sequenceId,
        tokenIds: Int32Array.of(decode.tokenId),
        positionIds: BigInt64Array.of(position, position, position),
        wantLogits: true,
        visionRows: 0,
      });
    }
    for (const work of plan.prefills) {
      const prompt = this.promptOf(work.promptId);
      if (!this.sequencePrompts.has(work.sequenceId)) this.sequencePrompts.set(work.sequenceId, prompt);
      const total = prompt.tokenIds.length;
      const positions = new BigInt64Array(3 * work.length);
      const layout = prompt.layout as QwenPromptLayout;
      for (let axis = 0; axis < 3; axis += 1)
        positions.set(
          layout.positionIds.subarray(axis * total + work.start, axis * total + work.start + work.length),
          axis * work.length,
        );
      let visionRows = 0;
      for (const span of prompt.media) {
        const from = Math.max(work.start, span.tokenStart);
        const to = Math.min(work.start + work.length, span.tokenStart + span.tokenCount);
        if (from < to) visionRows += to - from;
      }
      chunks.push({
        sequenceId: work.sequenceId,
        tokenIds: prompt.tokenIds.slice(work.start, work.start + work.length),
        positionIds: positions,
        wantLogits: work.last,
        visionRows,
      });
    }
    const result = await this.forward(chunks);
    for (const save of plan.saves) this.savePrefix(save.prefixId, save.sequenceId, save.length);
    return { logits: result, rejected: [] };
  }

  dropPrefix(prefixId: number): void {
    this.events.push({ kind: 'dropPrefix', prefixId });
    this.prefixes.delete(prefixId);
  }

  release(release: { sequenceIds: number[]; promptIds: number[] }): void {
    for (const sequenceId of release.sequenceIds) {
      this.events.push({ kind: 'release', sequenceId });
      this.caches.delete(sequenceId);
      this.sequencePrompts.delete(sequenceId);
      this.released.add(sequenceId);
    }
    for (const promptId of release.promptIds) this.prompts.delete(promptId);
  }

  usage(): Promise<KvUsage> {
    const tokens = (lists: Iterable<number[]>) => [...lists].reduce((sum, list) => sum + list.length, 0);
    return Promise.resolve({
      sequenceBytes: tokens(this.caches.values()) * this.kvBytesPerToken,
      prefixBytes: tokens(this.prefixes.values()) * this.kvBytesPerToken,
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private promptOf(promptId: number): RunnerPrompt {
    const prompt = this.prompts.get(promptId);
    if (prompt !== undefined) return prompt;
    this.problems.push(`prompt ${promptId} used before it was handed over`);
    return { tokenIds: new Int32Array(0), media: [], layout: { positionIds: new BigInt64Array(0), ropeDelta: 0 } };
  }

  private async forward(chunks: SequenceChunk[]): Promise<Map<number, Float32Array>> {
    await this.options.beforeForward?.(chunks);
    // A macrotask per step, as a worker thread's reply would be: timers and I/O run between steps.
    await (this.options.forwardDelayMs === undefined
      ? new Promise((resolve) => setImmediate(resolve))
      : sleep(this.options.forwardDelayMs));
    const step = this.steps++;
    const recorded: RecordedChunk[] = [];
    const logits = new Map<number, Float32Array>();
    const seen = new Set<number>();
    for (const chunk of chunks) {
      if (seen.has(chunk.sequenceId)) this.problems.push(`step ${step}: sequence ${chunk.sequenceId} appears twice`);
      seen.add(chunk.sequenceId);
      if (this.released.has(chunk.sequenceId))
        this.problems.push(`step ${step}: sequence ${chunk.sequenceId} was fed after its release`);
      const cache = this.caches.get(chunk.sequenceId) ?? [];
      this.caches.set(chunk.sequenceId, cache);
      this.checkChunk(step, chunk, cache);
      recorded.push({
        sequenceId: chunk.sequenceId,
        start: cache.length,
        tokenIds: Array.from(chunk.tokenIds),
        wantLogits: chunk.wantLogits,
        visionRows: chunk.visionRows,
      });
      cache.push(...chunk.tokenIds);
      if (chunk.wantLogits) {
        const row = new Float32Array(this.config.text.vocabSize);
        row[this.greedyToken(cache, chunk.sequenceId)] = 10;
        logits.set(chunk.sequenceId, row);
      }
    }
    this.events.push({ kind: 'forward', step, chunks: recorded });
    return logits;
  }

  private savePrefix(prefixId: number, sequenceId: number, length: number): void {
    this.events.push({ kind: 'savePrefix', prefixId, sequenceId, length });
    const cache = this.caches.get(sequenceId);
    if (cache === undefined || cache.length < length)
      this.problems.push(
        `savePrefix ${prefixId}: sequence ${sequenceId} holds ${cache?.length ?? 0} < ${length} positions`,
      );
    this.prefixes.set(prefixId, (cache ?? []).slice(0, length));
  }

  private restorePrefix(sequenceId: number, prefixId: number, length: number): void {
    this.events.push({ kind: 'restorePrefix', sequenceId, prefixId, length });
    const prefix = this.prefixes.get(prefixId);
    if (prefix === undefined || prefix.length < length)
      this.problems.push(`restorePrefix ${prefixId}: holds ${prefix?.length ?? 'nothing'}, ${length} asked`);
    this.caches.set(sequenceId, (prefix ?? []).slice(0, length));
  }

  private checkChunk(step: number, chunk: SequenceChunk, cache: readonly number[]): void {
    const count = chunk.tokenIds.length;
    if (count === 0) this.problems.push(`step ${step}: empty chunk for sequence ${chunk.sequenceId}`);
    const { imageTokenId, videoTokenId } = this.config.tokens;
    const isPad = (token: number) => token === imageTokenId || token === videoTokenId;
    const pads = Array.from(chunk.tokenIds).filter(isPad).length;
    if (chunk.visionRows !== pads)
      this.problems.push(
        `step ${step}: sequence ${chunk.sequenceId} has ${pads} vision pads but ${chunk.visionRows} feature rows`,
      );
    // Text-only histories have M-RoPE positions equal to the cache index on all three axes.
    if (!cache.some(isPad) && pads === 0) {
      for (let index = 0; index < count; index += 1) {
        for (let axis = 0; axis < 3; axis += 1) {
          if (chunk.positionIds[axis * count + index] !== BigInt(cache.length + index)) {
            this.problems.push(
              `step ${step}: sequence ${chunk.sequenceId} token ${index} axis ${axis} at position ${chunk.positionIds[axis * count + index]}, cache holds ${cache.length + index}`,
            );
            return;
          }
        }
      }
    }
  }
}
