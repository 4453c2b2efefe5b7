// An engine over the converted golden tiny-a model, for engine and server tests.
import type { InferenceEngine } from '../../src/runtime/engine/inference-engine.js';
import { createEngine, type CreateEngineOptions } from '../../src/runtime/engine/create-engine.js';
import type { MediaPreprocessor } from '../../src/runtime/engine/vision-cache.js';
import { convertTinyA, type ConvertedModel } from './converted-tiny-a.js';

export const silentLogger = { info() {}, warn() {}, error() {} };

export const noMediaPreprocessor: MediaPreprocessor = {
  contentKey: () => Promise.reject(new Error('this test engine takes no media')),
  preprocess: () => Promise.reject(new Error('this test engine takes no media')),
};

export async function tinyEngine(
  options: Partial<CreateEngineOptions> = {},
): Promise<{ engine: InferenceEngine; model: ConvertedModel; dispose(): Promise<void> }> {
  const model = await convertTinyA(['fp32']);
  const engine = await createEngine({
    modelDir: model.modelDir,
    modelId: 'tiny-a',
    format: 'fp32',
    mediaPreprocessor: noMediaPreprocessor,
    logger: silentLogger,
    inProcess: true,
    ...options,
  });
  return {
    engine,
    model,
    dispose: async () => {
      await engine.close();
      model.cleanup();
    },
  };
}
