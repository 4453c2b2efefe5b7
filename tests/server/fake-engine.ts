// A scripted Engine for the HTTP tests: it "generates" a fixed reply word by word, honours the
// request's AbortSignal, counts what a real engine counts, and can be made overloaded, draining,
// failing or slow. It mimics the engine contract of src/runtime/engine/engine-api.ts:
// - generate() throws EngineError at once for requests that can never run (overload, context);
// - failures after admission (e.g. media that is not an image) reject the iterator;
// - an aborted request ends its open choices with finish reason 'abort', then `usage`.
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ChatMessage,
  Engine,
  EngineState,
  EngineStats,
  FinishReason,
  GenerationEvent,
  GenerationRequest,
  LatencySamples,
  ModelDescription,
  TokenLogprob,
  ToolCallFormat,
} from '../../src/runtime/engine/engine-api.js';
import { contextLengthMessage, EngineError } from '../../src/runtime/engine/engine-errors.js';
import { UnsupportedFormatError } from '../../src/media/media-errors.js';
import { hermesToolCallFormat } from '../../src/runtime/qwen2-5-vl/tool-calls.js';

export interface FakeEngineOptions {
  modelId?: string;
  maxModelLength?: number;
  generationDefaults?: ModelDescription['generationDefaults'];
  /** The text every choice generates (default "A wide shot of a quiet street."). */
  reply?: string | ((request: GenerationRequest, choice: number) => string);
  /** Pause before each token, in milliseconds. */
  tokenDelayMs?: number;
}

const IMAGE_MAGIC = [
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0xff, 0xd8, 0xff], // JPEG
];

function looksLikeImage(bytes: Uint8Array): boolean {
  return IMAGE_MAGIC.some((magic) => magic.every((byte, index) => bytes[index] === byte));
}

/** Words with their trailing spaces: one "token" each. */
export function fakeTokens(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function promptTokenCount(messages: readonly ChatMessage[]): number {
  let count = 3;
  for (const message of messages) {
    if (typeof message.content === 'string') {
      count += 4 + Math.ceil(message.content.length / 4);
      continue;
    }
    for (const part of message.content)
      count += part.type === 'text' ? Math.ceil(part.text.length / 4) : part.type === 'image' ? 64 : 256;
  }
  return count;
}

export class FakeEngine implements Engine {
  readonly model: ModelDescription;
  /** The served model's format (Qwen2.5's Hermes tool calls). */
  readonly toolCallFormat: ToolCallFormat = hermesToolCallFormat;
  readonly requests: GenerationRequest[] = [];
  /** When set, generate() throws EngineError('overloaded') with this Retry-After. */
  overloadedRetryAfterSeconds: number | undefined;
  /** When set, the iterator throws this after `failAfterTokens` tokens. */
  failure: { error: unknown; afterTokens: number } | undefined;
  tokenDelayMs: number;
  private currentState: EngineState = 'ready';
  private readonly reply: NonNullable<FakeEngineOptions['reply']>;
  private readonly inFlight = new Set<AbortController>();
  private counters = { prompt: 0, generated: 0, aborted: 0, rejected: 0 };
  private readonly finished: Record<FinishReason, number> = { stop: 0, length: 0, abort: 0 };
  private samples: LatencySamples = { timeToFirstToken: [], interTokenLatency: [], endToEndLatency: [] };

  constructor(options: FakeEngineOptions = {}) {
    this.model = {
      id: options.modelId ?? 'Vchitect/ShotVL-3B',
      maxModelLength: options.maxModelLength ?? 4096,
      generationDefaults: options.generationDefaults ?? {
        temperature: 0.1,
        topP: 0.001,
        topK: 1,
        repetitionPenalty: 1.05,
      },
      createdAt: 1_700_000_000,
    };
    this.reply = options.reply ?? 'A wide shot of a quiet street.';
    this.tokenDelayMs = options.tokenDelayMs ?? 0;
  }

  /** What stats() reports as waiting (the fake never queues). */
  waitingOverride = 0;

  setState(state: EngineState): void {
    this.currentState = state;
  }

  state(): EngineState {
    return this.currentState;
  }

  get running(): number {
    return this.inFlight.size;
  }

  generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    if (this.currentState !== 'ready') {
      throw new EngineError(
        this.currentState === 'draining' ? 'draining' : 'not_ready',
        'The engine is not accepting requests.',
      );
    }
    if (this.overloadedRetryAfterSeconds !== undefined) {
      this.counters.rejected += 1;
      throw new EngineError('overloaded', 'The server is overloaded; retry later.', {
        retryAfterSeconds: this.overloadedRetryAfterSeconds,
      });
    }
    const promptTokens = promptTokenCount(request.messages);
    // Without maxTokens: up to the end of the context, as vLLM does.
    const budget = request.sampling.maxTokens ?? this.model.maxModelLength - promptTokens;
    if (promptTokens + budget > this.model.maxModelLength || budget < 1) {
      throw new EngineError(
        'context_length_exceeded',
        contextLengthMessage(this.model.maxModelLength, promptTokens, request.sampling.maxTokens),
      );
    }
    this.requests.push(request);
    return this.run(request, promptTokens, budget);
  }

  private choiceText(request: GenerationRequest, choice: number): string {
    if (request.sampling.choices !== undefined)
      return request.sampling.choices[choice % request.sampling.choices.length] as string;
    const text = typeof this.reply === 'function' ? this.reply(request, choice) : this.reply;
    const stop = request.sampling.stop?.map((sequence) => text.indexOf(sequence)).filter((index) => index >= 0);
    return stop !== undefined && stop.length > 0 ? text.slice(0, Math.min(...stop)) : text;
  }

  private logprobsFor(token: string, index: number, alternatives: number): TokenLogprob {
    const bytes = [...Buffer.from(token, 'utf8')];
    const top = Array.from({ length: alternatives }, (_, rank) => ({
      tokenId: 1000 + rank,
      token: rank === 0 ? token : `alt${rank}`,
      logprob: -0.1 * (rank + 1),
      bytes: rank === 0 ? bytes : [...Buffer.from(`alt${rank}`, 'utf8')],
    }));
    return { tokenId: index, token, logprob: -0.1, bytes, top };
  }

  private async *run(
    request: GenerationRequest,
    promptTokens: number,
    budget: number,
  ): AsyncGenerator<GenerationEvent> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    this.inFlight.add(controller);
    const started = performance.now();
    const n = request.sampling.n;
    const texts = Array.from({ length: n }, (_, choice) => this.choiceText(request, choice));
    const tokens = texts.map((text) => fakeTokens(text).slice(0, budget));
    const done = new Array<boolean>(n).fill(false);
    let generated = 0;
    try {
      for (const message of request.messages) {
        if (typeof message.content === 'string') continue;
        for (const part of message.content) {
          if (part.type === 'image' && part.source.kind === 'bytes' && !looksLikeImage(part.source.bytes)) {
            throw new UnsupportedFormatError(
              'The image is not in a supported format (PNG, JPEG, WebP, GIF, BMP, TIFF).',
            );
          }
        }
      }
      this.counters.prompt += promptTokens;
      yield { type: 'prompt', promptTokens, cachedTokens: 0, media: [] };
      const longest = Math.max(...tokens.map((list) => list.length));
      for (let step = 0; step < longest && !controller.signal.aborted; step += 1) {
        if (this.tokenDelayMs > 0)
          await sleep(this.tokenDelayMs, undefined, { signal: controller.signal }).catch(() => undefined);
        if (controller.signal.aborted) break;
        if (this.failure !== undefined && generated >= this.failure.afterTokens) throw this.failure.error;
        if (step === 0) this.samples.timeToFirstToken.push((performance.now() - started) / 1000);
        else this.samples.interTokenLatency.push(0.001);
        for (let choice = 0; choice < n; choice += 1) {
          const token = tokens[choice]?.[step];
          if (token === undefined || done[choice]) continue;
          generated += 1;
          const event: GenerationEvent = { type: 'delta', choice, text: token, tokenIds: [step] };
          if (request.sampling.logprobs !== undefined)
            event.logprobs = [this.logprobsFor(token, step, request.sampling.logprobs)];
          yield event;
          if (step === (tokens[choice]?.length ?? 0) - 1) {
            done[choice] = true;
            const reason: FinishReason = fakeTokens(texts[choice] ?? '').length > budget ? 'length' : 'stop';
            this.finished[reason] += 1;
            const finish: GenerationEvent = { type: 'finish', choice, reason };
            if (request.sampling.choices !== undefined) {
              finish.choiceProbabilities = Object.fromEntries(
                request.sampling.choices.map((text, index) => [
                  text,
                  index === 0 ? 0.9 : 0.1 / (request.sampling.choices!.length - 1),
                ]),
              );
            }
            yield finish;
          }
        }
      }
      for (let choice = 0; choice < n; choice += 1) {
        if (done[choice]) continue;
        this.finished.abort += 1;
        yield { type: 'finish', choice, reason: 'abort' };
      }
      if (controller.signal.aborted) this.counters.aborted += 1;
      yield { type: 'usage', promptTokens, completionTokens: generated, cachedTokens: 0 };
    } finally {
      this.counters.generated += generated;
      this.samples.endToEndLatency.push((performance.now() - started) / 1000);
      this.inFlight.delete(controller);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  async tokenize(input: {
    text?: string;
    messages?: ChatMessage[];
    addGenerationPrompt?: boolean;
  }): Promise<{ tokens: number[]; maxModelLength: number }> {
    const count = input.messages !== undefined ? promptTokenCount(input.messages) : fakeTokens(input.text ?? '').length;
    return { tokens: Array.from({ length: count }, (_, index) => index), maxModelLength: this.model.maxModelLength };
  }

  async detokenize(tokens: number[]): Promise<string> {
    return tokens.map((token) => `<${token}>`).join('');
  }

  stats(): EngineStats {
    return {
      running: this.inFlight.size,
      waiting: this.waitingOverride,
      kvBytesUsed: this.inFlight.size * 1024,
      kvBytesBudget: 1024 * 1024,
      prefixCacheQueries: this.counters.prompt,
      prefixCacheHits: 0,
      visionCacheQueries: 0,
      visionCacheHits: 0,
      promptTokens: this.counters.prompt,
      generatedTokens: this.counters.generated,
      abortedRequests: this.counters.aborted,
      rejectedRequests: this.counters.rejected,
      finishedRequests: { ...this.finished },
    };
  }

  takeLatencySamples(): LatencySamples {
    const samples = this.samples;
    this.samples = { timeToFirstToken: [], interTokenLatency: [], endToEndLatency: [] };
    return samples;
  }

  async drain(graceMilliseconds: number): Promise<void> {
    this.currentState = 'draining';
    const deadline = Date.now() + graceMilliseconds;
    while (this.inFlight.size > 0 && Date.now() < deadline) await sleep(10);
    for (const controller of this.inFlight) controller.abort();
    // Aborted generators leave once their reader pulls the last events; do not wait forever.
    for (let waited = 0; this.inFlight.size > 0 && waited < 2000; waited += 5) await sleep(5);
  }

  async close(): Promise<void> {
    this.currentState = 'stopped';
    for (const controller of this.inFlight) controller.abort();
  }
}
