// The model behind the engine, as the engine sees it: vision encoding into features the runner
// keeps, and one `execute(plan)` per engine step. The engine says only which token range of
// which sequence to run (and hands over each request's prepared prompt once); the runner builds
// the step's tensors (embeddings, vision feature placement, positions, KV placement) and returns
// what sampling needs. The engine is tested against a fake implementation; the real one is a
// model family's runner (src/runtime/qwen2-5-vl/) in a worker thread (worker-model-runner.ts).
import type { GridThw } from '../../media/patchify.js';
import type { ModelConfig } from '../../model-format/model-config.js';
import type { ModelFamily } from '../model-family.js';

/** Where one media item's vision tokens sit in a prompt, and the encoded features that fill them. */
export interface PromptMediaSpan {
  /** Features stored in the runner by `encodeVision`. */
  featureId: number;
  tokenStart: number;
  tokenCount: number;
}

/** A request's prompt as its runner runs it; sent once, shared by the request's sequences. */
export interface RunnerPrompt {
  tokenIds: Int32Array;
  media: PromptMediaSpan[];
  /** The model family's own per-prompt data (Qwen2.5-VL: M-RoPE positions and rope delta). */
  layout: unknown;
}

export interface PrefillWork {
  sequenceId: number;
  promptId: number;
  /** Prompt positions [start, start + length) run this step. */
  start: number;
  length: number;
  /** The chunk ends the prompt: return its last position's logits. */
  last: boolean;
  /** Positions the sequence may reach (prompt + max new tokens): sizes its KV buffer once. */
  kvCapacity: number;
}

export interface DecodeWork {
  sequenceId: number;
  /** The token sampled last step, fed at the sequence's next position. */
  tokenId: number;
}

/** One engine step, in the order the runner applies it. */
export interface RunnerPlan {
  /** Prompts of requests whose sequences run for the first time in this step. */
  prompts: { promptId: number; prompt: RunnerPrompt }[];
  /** Sequences that start from a saved prefix instead of an empty cache. */
  restores: { sequenceId: number; promptId: number; prefixId: number; length: number; kvCapacity: number }[];
  prefills: PrefillWork[];
  decodes: DecodeWork[];
  /** After the step: copies of the first `length` cached positions of a sequence, kept under `prefixId`. */
  saves: { prefixId: number; sequenceId: number; length: number }[];
}

export interface StepResult {
  /** Last-position logits of every decode and of every prefill chunk that ends its prompt. */
  logits: Map<number, Float32Array>;
  /** Sequences left out of the step because their own inputs cannot run (they fail alone). */
  rejected: { sequenceId: number; reason: string }[];
}

export interface KvUsage {
  /** Bytes held by sequence caches. */
  sequenceBytes: number;
  /** Bytes held by saved prefixes. */
  prefixBytes: number;
}

export interface ModelRunner {
  readonly config: ModelConfig;
  /** The model family's prompt layout, used on the engine's side to prepare prompts. */
  readonly family: ModelFamily;
  /** Bytes of KV cache one token of one sequence occupies. */
  readonly kvBytesPerToken: number;
  /** Set when the runner can run nothing any more (its worker died): the engine turns `failed`. */
  readonly failed?: Error | undefined;
  /** Encodes one image or video and keeps its features under `featureId` until `dropVision`. */
  encodeVision(featureId: number, pixelValues: Float32Array, grid: GridThw): Promise<void>;
  /** Forgets features; prompts already handed over keep what they hold. */
  dropVision(featureId: number): void;
  execute(plan: RunnerPlan): Promise<StepResult>;
  dropPrefix(prefixId: number): void;
  /** Frees the caches of finished sequences and the prompts no sequence runs any more. */
  release(release: { sequenceIds: number[]; promptIds: number[] }): void;
  usage(): Promise<KvUsage>;
  close(): Promise<void>;
}
