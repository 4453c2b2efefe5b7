// POST /v1/chat/completions through app.inject(): response and chunk shapes (checked against
// OpenAI's schemas and key by key), the mapping to the engine's request, media handling, streaming
// and its error event, and what never leaks.
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaItem } from '../../../../src/runtime/engine/engine-api.js';
import { FakeEngine } from '../../fake-engine.js';
import { capturingLogger } from '../../log-capture.js';
import { assertOpenAiShape } from '../../openai-schema.js';
import { createTestApp, FRAMES_DATA_URL, parseSse, PNG_DATA_URL, userMessage, type TestApp } from '../../test-app.js';

const URL = '/v1/chat/completions';
let current: TestApp | undefined;

function setup(options: Parameters<typeof createTestApp>[0] = {}): TestApp {
  current = createTestApp(options);
  return current;
}

afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

async function post(test: TestApp, payload: Record<string, unknown>, headers: Record<string, string> = {}) {
  return test.app.inject({ method: 'POST', url: URL, payload, headers });
}

describe('non-streaming chat completion', () => {
  it("has exactly OpenAI's shape", async () => {
    const test = setup();
    const response = await post(test, { model: 'Vchitect/ShotVL-3B', messages: [userMessage('Describe the shot.')] });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json();
    assertOpenAiShape('CreateChatCompletionResponse', body);
    expect(Object.keys(body).sort()).toEqual([
      'choices',
      'created',
      'id',
      'model',
      'object',
      'system_fingerprint',
      'usage',
    ]);
    expect(body.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(body.object).toBe('chat.completion');
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(60);
    expect(body.model).toBe('Vchitect/ShotVL-3B');
    expect(body.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: 'A wide shot of a quiet street.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ]);
    expect(body.usage).toEqual({
      prompt_tokens: expect.any(Number),
      completion_tokens: 7,
      total_tokens: body.usage.prompt_tokens + 7,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  it('returns n choices, log-probabilities and constrained choices', async () => {
    const test = setup();
    const withN = (await post(test, { messages: [userMessage('x')], n: 2, logprobs: true, top_logprobs: 3 })).json();
    assertOpenAiShape('CreateChatCompletionResponse', withN);
    expect(withN.choices.map((choice: { index: number }) => choice.index)).toEqual([0, 1]);
    const first = withN.choices[0].logprobs.content[0];
    expect(Object.keys(first).sort()).toEqual(['bytes', 'logprob', 'token', 'top_logprobs']);
    expect(first).toMatchObject({ token: 'A ', bytes: [65, 32] });
    expect(first.top_logprobs).toHaveLength(3);
    expect(withN.choices[0].logprobs.refusal).toBeNull();

    for (const constraint of [
      { structured_outputs: { choice: ['close-up', 'wide'] } },
      { guided_choice: ['close-up', 'wide'] },
    ]) {
      const body = (await post(test, { messages: [userMessage('Shot size?')], ...constraint })).json();
      expect(body.choices[0].message.content).toBe('close-up');
      expect(test.engine.requests.at(-1)?.sampling.choices).toEqual(['close-up', 'wide']);
    }
  });

  it('maps fields to the engine and takes unset ones from generation_config', async () => {
    const test = setup();
    await post(test, { messages: [userMessage('x')], temperature: null, max_tokens: null });
    expect(test.engine.requests[0]?.sampling).toEqual({
      temperature: 0.1,
      topP: 0.001,
      topK: 1,
      minP: 0,
      repetitionPenalty: 1.05,
      presencePenalty: 0,
      frequencyPenalty: 0,
      n: 1,
    });
    await post(test, {
      messages: [{ role: 'developer', content: 'Be terse.' }, userMessage('x')],
      max_tokens: 50,
      max_completion_tokens: 20,
      temperature: 0,
      top_p: 0.9,
      top_k: 40,
      min_p: 0.05,
      seed: 7,
      stop: 'END',
      stop_token_ids: [151645],
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      repetition_penalty: 1.2,
      logit_bias: { '42': -100 },
      cache_salt: 'tenant-a',
      user: 'someone',
      response_format: { type: 'text' },
    });
    const request = test.engine.requests[1];
    expect(request?.sampling).toEqual({
      maxTokens: 20,
      temperature: 0,
      topP: 0.9,
      topK: 40,
      minP: 0.05,
      seed: 7,
      stop: ['END'],
      stopTokenIds: [151645],
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      repetitionPenalty: 1.2,
      logitBias: { 42: -100 },
      n: 1,
    });
    expect(request?.cacheSalt).toBe('tenant-a');
    expect(request?.messages[0]).toEqual({ role: 'system', content: 'Be terse.' });
    expect(request?.requestId).toEqual(expect.any(String));
  });

  it('applies stop strings and max_tokens', async () => {
    const test = setup();
    const stopped = (await post(test, { messages: [userMessage('x')], stop: ['quiet'] })).json();
    expect(stopped.choices[0]).toMatchObject({ message: { content: 'A wide shot of a ' }, finish_reason: 'stop' });
    const cut = (await post(test, { messages: [userMessage('x')], max_tokens: 2 })).json();
    expect(cut.choices[0]).toMatchObject({ message: { content: 'A wide ' }, finish_reason: 'length' });
    expect(cut.usage.completion_tokens).toBe(2);
  });

  it('resolves media parts in any position and releases them afterwards', async () => {
    const test = setup();
    const response = await post(test, {
      messages: [
        { role: 'system', content: 'You are a cinematographer.' },
        userMessage([
          { type: 'image_url', image_url: PNG_DATA_URL },
          { type: 'text', text: 'Compare' },
          { type: 'image_url', image_url: { url: PNG_DATA_URL, detail: 'high' } },
        ]),
        { role: 'assistant', content: 'Both are wide shots.' },
        userMessage([
          { type: 'text', text: 'And this clip?' },
          { type: 'video_url', video_url: { url: FRAMES_DATA_URL } },
        ]),
      ],
      mm_processor_kwargs: { max_pixels: 360 * 640, fps: 2 },
    });
    expect(response.statusCode).toBe(200);
    const messages = test.engine.requests[0]?.messages ?? [];
    const parts = messages.flatMap((message) => (typeof message.content === 'string' ? [] : message.content));
    expect(parts.map((part) => part.type)).toEqual(['image', 'text', 'image', 'text', 'video']);
    const media = parts.filter((part): part is MediaItem => part.type !== 'text');
    expect(media[0]).toMatchObject({ source: { kind: 'bytes' }, options: { maxPixels: 360 * 640 } });
    expect(media[0]?.options).not.toHaveProperty('fps');
    expect(media[2]).toMatchObject({ source: { kind: 'frames' }, options: { maxPixels: 360 * 640, fps: 2 } });
    expect((media[2]?.source as { frames: Uint8Array[] }).frames).toHaveLength(2);
    expect(test.resolver.resolved.map((item) => item.kind)).toEqual(['image', 'image', 'video']);
    expect(test.resolver.released).toHaveLength(3);
  });

  it('logs an unknown field once per name and still answers', async () => {
    const capture = capturingLogger('warn');
    const test = setup({ logger: capture.logger });
    for (let index = 0; index < 3; index += 1) {
      expect((await post(test, { messages: [userMessage('x')], frobnicate: true, echo: false })).statusCode).toBe(200);
    }
    const warnings = capture.lines.filter(
      (line) => line.msg === 'ignoring unknown request field (logged once per field)',
    );
    expect(warnings.map((line) => line.field).sort()).toEqual(['echo', 'frobnicate']);
  });

  it('echoes x-request-id and hides internal errors behind it', async () => {
    const test = setup();
    test.engine.failure = { error: new Error('ENOENT: /opt/secret/libonnxruntime.so.1 missing'), afterTokens: 0 };
    const response = await post(test, { messages: [userMessage('x')] }, { 'x-request-id': 'trace-42' });
    expect(response.statusCode).toBe(500);
    expect(response.headers['x-request-id']).toBe('trace-42');
    expect(response.json()).toEqual({
      error: {
        message: 'internal error (request id trace-42)',
        type: 'server_error',
        param: null,
        code: 'internal_error',
      },
    });
    expect(response.body).not.toContain('secret');
    const generated = await post(test, { messages: [userMessage('x')] }, { 'x-request-id': 'not a valid id!' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('streaming chat completion', () => {
  it('sends role, content and finish chunks, then [DONE]', async () => {
    const test = setup();
    const response = await post(test, { messages: [userMessage('x')], stream: true, n: 2 });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const { events, done } = parseSse(response.body);
    expect(done).toBe(true);
    const chunks = events as {
      id: string;
      choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
    }[];
    for (const chunk of chunks) {
      assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      expect(chunk).not.toHaveProperty('usage');
      expect(chunk.id).toBe(chunks[0]?.id);
    }
    for (const index of [0, 1]) {
      const mine = chunks.flatMap((chunk) => chunk.choices).filter((choice) => choice.index === index);
      expect(mine[0]?.delta).toEqual({ role: 'assistant', content: '' });
      expect(mine.map((choice) => choice.delta.content ?? '').join('')).toBe('A wide shot of a quiet street.');
      expect(mine.at(-1)).toMatchObject({ delta: {}, finish_reason: 'stop' });
    }
  });

  it('adds usage: null to every chunk and a final usage chunk with include_usage', async () => {
    const test = setup();
    const response = await post(test, {
      messages: [userMessage('x')],
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
    });
    const { events, done } = parseSse(response.body);
    expect(done).toBe(true);
    for (const chunk of events) assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
    const last = events.at(-1) as { choices: unknown[]; usage: { completion_tokens: number } };
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 7, prompt_tokens_details: { cached_tokens: 0 } });
    expect(events.slice(0, -1).every((chunk) => (chunk as { usage: unknown }).usage === null)).toBe(true);
    const withLogprobs = events.filter(
      (chunk) => (chunk as { choices: { logprobs: unknown }[] }).choices[0]?.logprobs != null,
    );
    expect(withLogprobs).toHaveLength(7);
  });

  it('puts the usage so far in every chunk with continuous_usage_stats, and a system_fingerprint everywhere', async () => {
    const test = setup();
    const response = await post(test, {
      messages: [userMessage('x')],
      stream: true,
      stream_options: { continuous_usage_stats: true },
    });
    const { events, done } = parseSse(response.body);
    expect(done).toBe(true);
    const chunks = events as {
      choices: { delta: { content?: string } }[];
      system_fingerprint: string;
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    }[];
    const plain = (await post(test, { messages: [userMessage('x')] })).json();
    for (const chunk of chunks) {
      assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      expect(chunk.system_fingerprint).toBe(plain.system_fingerprint);
      expect(chunk.usage.prompt_tokens).toBe(plain.usage.prompt_tokens);
      expect(chunk.usage.total_tokens).toBe(chunk.usage.prompt_tokens + chunk.usage.completion_tokens);
    }
    const completionCounts = chunks.map((chunk) => chunk.usage.completion_tokens);
    expect(completionCounts).toEqual([...completionCounts].sort((a, b) => a - b));
    expect(completionCounts.at(-1)).toBe(7);
    expect(chunks.at(-1)?.choices).toEqual([]);
  });

  it('sends an error event when generation fails after the stream began', async () => {
    const test = setup();
    test.engine.failure = { error: new Error('CUDA error: an illegal memory access at 0x7f00'), afterTokens: 3 };
    const response = await post(test, { messages: [userMessage('x')], stream: true }, { 'x-request-id': 'stream-7' });
    expect(response.statusCode).toBe(200);
    const { events, done } = parseSse(response.body);
    expect(done).toBe(true);
    const error = events.at(-1);
    assertOpenAiShape('ErrorResponse', error);
    expect(error).toEqual({
      error: {
        message: 'internal error (request id stream-7)',
        type: 'server_error',
        param: null,
        code: 'internal_error',
      },
    });
    expect(response.body).not.toContain('CUDA');
  });

  it('answers errors that happen before the first event with a plain HTTP status', async () => {
    const test = setup({ engine: new FakeEngine() });
    test.engine.overloadedRetryAfterSeconds = 3;
    const response = await post(test, { messages: [userMessage('x')], stream: true });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.json().error.code).toBe('overloaded');
  });
});
