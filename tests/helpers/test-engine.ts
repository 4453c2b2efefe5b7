// An engine over the tiny test model (make-tiny, built once per run), for engine and server tests.
import type { InferenceEngine } from '../../src/runtime/engine/inference-engine.js';
import { createEngine, type CreateEngineOptions } from '../../src/runtime/engine/create-engine.js';
import type { MediaPreprocessor } from '../../src/runtime/engine/vision-cache.js';
import { TINY_MODEL_ID, tinyModelDir } from './tiny-model.js';

export const silentLogger = { info() {}, warn() {}, error() {} };

export const noMediaPreprocessor: MediaPreprocessor = {
  contentKey: () => Promise.reject(new Error('this test engine takes no media')),
  preprocess: () => Promise.reject(new Error('this test engine takes no media')),
};

export async function tinyEngine(
  options: Partial<CreateEngineOptions> = {},
): Promise<{ engine: InferenceEngine; modelDir: string; dispose(): Promise<void> }> {
  const modelDir = tinyModelDir();
  const engine = await createEngine({
    modelDir,
    modelId: TINY_MODEL_ID,
    format: 'fp32',
    mediaPreprocessor: noMediaPreprocessor,
    logger: silentLogger,
    inProcess: true,
    ...options,
  });
  return {
    engine,
    modelDir,
    dispose: () => engine.close(),
  };
}
