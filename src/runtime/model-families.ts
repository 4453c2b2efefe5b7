// The model families this server runs, and the one place that picks a family's code for a model
// folder. ModelConfig only parses Qwen2.5-VL configs today, so there is one family; a second
// would be chosen here from config.json and live in its own folder beside qwen2-5-vl/.
import type { LoadFormat } from '../model-format/model-files.js';
import type { ModelConfig } from '../model-format/model-config.js';
import { readModelConfig } from '../model-format/read-model-config.js';
import type { ModelFamily } from './model-family.js';
import { QwenOnnxSessions } from './qwen2-5-vl/onnx-sessions.js';
import { qwenFamily } from './qwen2-5-vl/qwen-family.js';
import { QwenModelRunner } from './qwen2-5-vl/qwen-model-runner.js';
import type { ModelRunner } from './runner/model-runner.js';

export interface RunnerLoadOptions {
  modelDir: string;
  format: LoadFormat;
  /** onnxruntime execution providers, as src/cuda chose them. */
  executionProviders: unknown[];
  intraOpThreads?: number;
  /** 'in-place' on CPU (no KV copies per step), 'concat' on other execution providers. */
  kvMode?: 'in-place' | 'concat';
}

export function familyOf(config: ModelConfig): ModelFamily {
  return qwenFamily(config);
}

/** Loads a model folder's runner on the calling thread. */
export async function loadModelRunner(options: RunnerLoadOptions): Promise<ModelRunner> {
  const config = readModelConfig(options.modelDir);
  const sessions = await QwenOnnxSessions.load(options.modelDir, config, {
    format: options.format,
    executionProviders: options.executionProviders as never,
    ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
  });
  return new QwenModelRunner(sessions, options.kvMode ?? 'in-place');
}
