// Messages between the engine thread and the model worker thread.
import type { ModelConfig } from '../../model-format/model-config.js';
import type { LoadFormat } from '../../model-format/model-files.js';
import type { SequenceChunk } from './model-runner.js';

export interface ModelWorkerData {
  modelDir: string;
  format: LoadFormat;
  /** onnxruntime execution providers (structured-clonable), as src/cuda chose them. */
  executionProviders: unknown[];
  intraOpThreads?: number;
  /** 'in-place' on CPU (no KV copies per step), 'concat' on other execution providers. */
  kvMode?: 'in-place' | 'concat';
}

export type WorkerRequest =
  | { id: number; method: 'encodeVision'; pixelValues: Float32Array; grid: [number, number, number] }
  | { id: number; method: 'forward'; chunks: SequenceChunk[] }
  | { id: number; method: 'savePrefix'; prefixId: number; sequenceId: number; length: number }
  | { id: number; method: 'restorePrefix'; sequenceId: number; prefixId: number; length: number; capacity?: number }
  | { id: number; method: 'dropPrefix'; prefixId: number }
  | { id: number; method: 'release'; sequenceId: number }
  | { id: number; method: 'usage' }
  | { id: number; method: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

export type WorkerResponse =
  | { kind: 'ready'; config: ModelConfig; kvBytesPerToken: number }
  | { kind: 'load-failed'; error: SerializedError }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
    return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
  }
  return { name: 'Error', message: String(error) };
}
