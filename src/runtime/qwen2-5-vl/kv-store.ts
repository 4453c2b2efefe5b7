// Where a runner keeps KV caches and how a forward step feeds them to the decoder. Two stores:
// in-place (CPU: preallocated buffers the decoder writes into, no copies per step) and concat
// (any device: onnxruntime returns a new, longer cache each step).
import type { QwenOnnxSessions } from './onnx-sessions.js';
import type { KvUsage } from '../runner/model-runner.js';

/** One sequence's input for a step, already embedded. */
export interface StepRow {
  sequenceId: number;
  /** float32 [tokens, hidden]. */
  embeds: Float32Array;
  tokens: number;
  /** int64 [3, tokens]. */
  positionIds: BigInt64Array;
  /** Tokens the sequence may reach (prompt + max new tokens), to size its buffer once. */
  capacity: number | undefined;
}

export interface KvStore {
  /** Runs one sequence (a prefill chunk or a lone decode); returns its last position's logits. */
  runSingle(sessions: QwenOnnxSessions, row: StepRow): Promise<Float32Array>;
  /** Runs single-token decodes of several sequences as one batch; returns logits per sequence. */
  runDecodeBatch(sessions: QwenOnnxSessions, rows: StepRow[]): Promise<Float32Array[]>;
  savePrefix(prefixId: number, sequenceId: number, length: number): void;
  restorePrefix(sequenceId: number, prefixId: number, length: number, capacity: number | undefined): void;
  dropPrefix(prefixId: number): void;
  release(sequenceId: number): void;
  usage(): KvUsage;
  clear(): void;
}
