// Shared pieces of the engine benchmarks: an in-process engine over a converted model folder (the
// assembly `shotvl serve` uses, src/cli/engine-assembly.ts) and a request runner that reports
// timings. Benchmarks print figures; they are not tests.
import { assembleEngine, SILENT_ENGINE_LOGGER, type AssembledEngine } from '../src/cli/engine-assembly.js';
import { availableFormats, type LoadFormat } from '../src/model-format/model-files.js';
import type { ChatMessage, Engine, GenerationEvent, SamplingOptions } from '../src/runtime/engine/engine-api.js';
import type { EngineLimits } from '../src/runtime/engine/engine-limits.js';

export { testCard } from '../src/media/test-card.js';

export const quietLogger = SILENT_ENGINE_LOGGER;

/** onnxruntime on this thread (so profiles see it), one media worker; q4 unless another format is asked. */
export async function benchEngine(
  modelDir: string,
  limits: Partial<EngineLimits> = {},
  requestedFormat?: LoadFormat,
): Promise<AssembledEngine> {
  const formats = availableFormats(modelDir);
  const format = requestedFormat ?? (formats.includes('q4') ? 'q4' : formats[0]!);
  return assembleEngine({ modelDir, modelId: 'bench', format, inProcess: true, limits });
}

/** Greedy, `ignoreEos`: every run generates exactly `maxTokens` tokens (shared with the tests). */
export { greedySampling as greedy } from '../tests/helpers/greedy-sampling.js';

export interface RequestTiming {
  seconds: number;
  firstTokenSeconds: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  text: string;
  choiceProbabilities?: Record<string, number>;
  /** performance.now() at each delta, one entry per generated token in it. */
  tokenTimes: number[];
}

export async function timeRequest(
  engine: Engine,
  messages: ChatMessage[],
  sampling: SamplingOptions,
  cacheSalt?: string,
): Promise<RequestTiming> {
  const started = performance.now();
  let firstToken = 0;
  const timing: RequestTiming = {
    seconds: 0,
    firstTokenSeconds: 0,
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
    text: '',
    tokenTimes: [],
  };
  const events: AsyncIterable<GenerationEvent> = engine.generate({
    requestId: 'bench',
    messages,
    sampling,
    ...(cacheSalt === undefined ? {} : { cacheSalt }),
  });
  for await (const event of events) {
    if (event.type === 'delta') {
      const now = performance.now();
      if (firstToken === 0 && event.tokenIds.length > 0) firstToken = now;
      for (let token = 0; token < event.tokenIds.length; token += 1) timing.tokenTimes.push(now);
      timing.text += event.text;
    } else if (event.type === 'finish' && event.choiceProbabilities !== undefined) {
      timing.choiceProbabilities = event.choiceProbabilities;
    } else if (event.type === 'usage') {
      timing.promptTokens = event.promptTokens;
      timing.completionTokens = event.completionTokens;
      timing.cachedTokens = event.cachedTokens;
    }
  }
  timing.seconds = (performance.now() - started) / 1000;
  timing.firstTokenSeconds = (firstToken - started) / 1000;
  return timing;
}

/**
 * Aggregate decode tokens/s while every request is decoding: the tokens that arrived between the
 * last request's first token and the first request's last token, over that window. Prefill and
 * the ramp-up and drain at either end are left out.
 */
export function steadyDecodeRate(timings: RequestTiming[]): { tokensPerSecond: number; windowSeconds: number } {
  const start = Math.max(...timings.map((timing) => timing.tokenTimes[0] ?? Infinity));
  const end = Math.min(...timings.map((timing) => timing.tokenTimes.at(-1) ?? -Infinity));
  if (!(end > start)) throw new Error('no window in which every request decodes: ask for more tokens');
  // Tokens after `start` up to and including `end`: each counts the step that produced it.
  const tokens = timings.reduce(
    (sum, timing) => sum + timing.tokenTimes.filter((time) => time > start && time <= end).length,
    0,
  );
  return { tokensPerSecond: tokens / ((end - start) / 1000), windowSeconds: (end - start) / 1000 };
}
