// Messages between the engine thread and the model worker thread.
import type { ModelConfig } from '../../model-format/model-config.js';
import type { RunnerLoadOptions } from '../model-families.js';
import type { RunnerPlan } from './model-runner.js';

/** What the worker loads: the options of the family's runner loader. */
export type ModelWorkerData = RunnerLoadOptions;

export type WorkerRequest =
  | { id: number; method: 'encodeVision'; featureId: number; pixelValues: Float32Array; grid: [number, number, number] }
  | { id: number; method: 'dropVision'; featureId: number }
  | { id: number; method: 'execute'; plan: RunnerPlan }
  | { id: number; method: 'dropPrefix'; prefixId: number }
  | { id: number; method: 'release'; sequenceIds: number[]; promptIds: number[] }
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
