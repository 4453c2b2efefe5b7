// The sampling the engine tests and benchmarks run with: greedy (temperature 0, nothing applied to
// the logits), one choice, and `ignoreEos`, so that a run generates exactly `maxTokens` tokens
// whatever the random tiny model prefers. No test-runner imports: bench/ uses it too.
import type { SamplingOptions } from '../../src/runtime/engine/engine-api.js';

export function greedySampling(maxTokens: number, extra: Partial<SamplingOptions> = {}): SamplingOptions {
  return {
    maxTokens,
    temperature: 0,
    topP: 1,
    topK: 0,
    minP: 0,
    repetitionPenalty: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
    n: 1,
    ignoreEos: true,
    ...extra,
  };
}
