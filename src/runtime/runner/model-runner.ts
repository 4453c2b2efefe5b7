// The model behind the engine: vision encoding and batched forward steps over sequences whose KV
// caches the runner keeps. The scheduler and engine are tested against a fake implementation;
// the real one runs onnxruntime in a worker thread (worker-model-runner.ts).
import type { ModelConfig } from '../../model-format/model-config.js';
import type { GridThw } from '../qwen2-5-vl/grid-thw.js';

/** New tokens of one sequence in one forward step. */
export interface SequenceChunk {
  sequenceId: number;
  tokenIds: Int32Array;
  /**
   * Feature rows for the vision pad tokens among `tokenIds`, in order ([pads, hidden]); absent
   * when the chunk has no vision pads.
   */
  visionFeatures?: Float32Array;
  /** int64 [3, tokens]: M-RoPE positions of these tokens. */
  positionIds: BigInt64Array;
  /** Return the logits of the chunk's last token (false for prefill chunks that end mid-prompt). */
  wantLogits: boolean;
  /** Positions the sequence may reach (prompt + max new tokens): sizes its KV buffer once. */
  kvCapacity?: number;
}

export interface ForwardResult {
  /** Logits of the last token for each chunk that asked for them: float32 [vocab]. */
  logits: Map<number, Float32Array>;
}

export interface KvUsage {
  /** Bytes held by sequence caches. */
  sequenceBytes: number;
  /** Bytes held by saved prefixes. */
  prefixBytes: number;
}

export interface ModelRunner {
  readonly config: ModelConfig;
  /** Bytes of KV cache one token of one sequence occupies. */
  readonly kvBytesPerToken: number;
  /** One image or video -> [vision tokens, hidden] features in token order. */
  encodeVision(pixelValues: Float32Array, grid: GridThw): Promise<Float32Array>;
  /**
   * One scheduling step. Single-token chunks (decodes) run as one batched forward; longer chunks
   * (prefill) run one sequence at a time. A sequence seen for the first time starts with an empty cache.
   */
  forward(chunks: SequenceChunk[]): Promise<ForwardResult>;
  /** Keeps a copy of the first `length` cached positions of a sequence under `prefixId`. */
  savePrefix(prefixId: number, sequenceId: number, length: number): Promise<void>;
  /** Starts (or replaces) a sequence's cache with the first `length` positions of a saved prefix. */
  restorePrefix(sequenceId: number, prefixId: number, length: number, capacity?: number): Promise<void>;
  dropPrefix(prefixId: number): void;
  /** Frees a sequence's cache. */
  release(sequenceId: number): void;
  usage(): Promise<KvUsage>;
  close(): Promise<void>;
}
