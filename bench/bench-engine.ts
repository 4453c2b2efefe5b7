// Shared pieces of the engine benchmarks: an in-process engine over a converted model folder and
// a request runner that reports timings. Benchmarks print figures; they are not tests.
import { availableFormats, type LoadFormat } from '../src/model-format/model-files.js';
import { createEngine } from '../src/runtime/engine/create-engine.js';
import type { InferenceEngine } from '../src/runtime/engine/inference-engine.js';
import type { ChatMessage, GenerationEvent, SamplingOptions } from '../src/runtime/engine/engine-api.js';
import { createMediaPreprocessor, type ClosableMediaPreprocessor } from '../src/runtime/engine/media-preprocessor.js';

export { testCard } from '../src/media/test-card.js';

export const quietLogger = { info() {}, warn() {}, error() {} };

export async function benchEngine(
  modelDir: string,
  limits: Record<string, number> = {},
  requestedFormat?: LoadFormat,
): Promise<{ engine: InferenceEngine; media: ClosableMediaPreprocessor; close(): Promise<void> }> {
  const formats = availableFormats(modelDir);
  const format = requestedFormat ?? (formats.includes('q4') ? 'q4' : formats[0]!);
  const media = createMediaPreprocessor();
  const engine = await createEngine({
    modelDir,
    modelId: 'bench',
    format,
    mediaPreprocessor: media,
    logger: quietLogger,
    inProcess: true,
    limits,
  });
  return { engine, media, close: async () => (await engine.close(), await media.close()) };
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
  engine: InferenceEngine,
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
