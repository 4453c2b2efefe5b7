// The engine on the tiny model: greedy output does not depend on batching or cache hits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationEvent, GenerationRequest, SamplingOptions } from '../../../src/runtime/engine/engine-api.js';
import { EngineError } from '../../../src/runtime/engine/engine-errors.js';
import type { InferenceEngine } from '../../../src/runtime/engine/inference-engine.js';
import { greedySampling } from '../../helpers/greedy-sampling.js';
import { tinyEngine } from '../../helpers/test-engine.js';

const greedy = greedySampling(8);

function request(
  text: string,
  sampling: Partial<SamplingOptions> = {},
  extra: Partial<GenerationRequest> = {},
): GenerationRequest {
  return {
    requestId: text,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: text },
    ],
    sampling: { ...greedy, ...sampling },
    ...extra,
  };
}

async function collect(
  events: AsyncIterable<GenerationEvent>,
): Promise<{ tokens: number[][]; events: GenerationEvent[] }> {
  const all: GenerationEvent[] = [];
  const tokens: number[][] = [];
  for await (const event of events) {
    all.push(event);
    if (event.type === 'delta') (tokens[event.choice] ??= []).push(...event.tokenIds);
  }
  return { tokens, events: all };
}

describe('engine on tiny-a', () => {
  let engine: InferenceEngine;
  let dispose: () => Promise<void>;
  const prompts = [
    'What is the capital of France?',
    'Describe the lighting of a film noir shot in detail, please, with many words.',
    'Hi',
  ];

  beforeAll(async () => {
    ({ engine, dispose } = await tinyEngine({ limits: { prefillChunkTokens: 7 } }));
  });

  afterAll(async () => dispose?.());

  it('gives identical greedy tokens alone and batched with prompts of other lengths', async () => {
    const alone = [];
    for (const prompt of prompts) alone.push((await collect(engine.generate(request(prompt)))).tokens[0]);
    const together = await Promise.all(prompts.map((prompt) => collect(engine.generate(request(prompt)))));
    expect(together.map((result) => result.tokens[0])).toEqual(alone);
    expect(alone.every((tokens) => tokens?.length === 8)).toBe(true);
  });

  it('gives identical greedy tokens with a prefix-cache hit, and counts the hit', async () => {
    const salt = 'prefix-test';
    const first = await collect(engine.generate(request(prompts[1]!, {}, { cacheSalt: salt })));
    const before = engine.stats().prefixCacheHits;
    const second = await collect(engine.generate(request(prompts[1]!, {}, { cacheSalt: salt })));
    expect(second.tokens).toEqual(first.tokens);
    expect(engine.stats().prefixCacheHits).toBe(before + 1);
    const usage = second.events.find((event) => event.type === 'usage');
    expect(usage?.type === 'usage' && usage.cachedTokens).toBeGreaterThan(0);
  });

  it('runs n choices from one prompt', async () => {
    const result = await collect(engine.generate(request(prompts[0]!, { n: 3 })));
    expect(result.tokens).toHaveLength(3);
    expect(result.tokens[1]).toEqual(result.tokens[0]);
    expect(result.events.filter((event) => event.type === 'finish')).toHaveLength(3);
  });

  it('reproduces a seeded sampled run', async () => {
    const sampled = { temperature: 1, topP: 0.9, seed: 1234 };
    const first = await collect(engine.generate(request(prompts[0]!, sampled)));
    const second = await collect(engine.generate(request(prompts[0]!, sampled)));
    expect(second.tokens).toEqual(first.tokens);
  });

  it('constrained choice returns one of the choices with probabilities summing to 1', async () => {
    const choices = ['A', 'B', 'C', 'D'];
    const result = await collect(engine.generate(request('Pick a letter.', { choices, maxTokens: 4 })));
    const text = result.events.flatMap((event) => (event.type === 'delta' ? [event.text] : [])).join('');
    expect(choices).toContain(text);
    const finish = result.events.find((event) => event.type === 'finish');
    expect(finish?.type === 'finish' && finish.reason).toBe('stop');
    const probabilities = finish?.type === 'finish' ? finish.choiceProbabilities : undefined;
    expect(Object.keys(probabilities ?? {})).toEqual(choices);
    expect(Object.values(probabilities ?? {}).reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 6);
  });

  it('rejects a context overflow with vLLM wording', async () => {
    const iterator = engine.generate(request('hello', { maxTokens: 1_000_000 }))[Symbol.asyncIterator]();
    const error = await iterator.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('context_length_exceeded');
    expect((error as EngineError).message).toMatch(/^This model's maximum context length is \d+ tokens/);
  });

  it('frees everything when a request is aborted mid-generation', async () => {
    const controller = new AbortController();
    const events = engine.generate(request(prompts[1]!, { maxTokens: 200 }, { signal: controller.signal }));
    let deltas = 0;
    for await (const event of events) {
      if (event.type === 'delta' && ++deltas === 2) controller.abort();
      if (event.type === 'finish') expect(event.reason).toBe('abort');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(engine.stats().running).toBe(0);
    expect(engine.stats().kvBytesUsed).toBe(0);
  });
});
