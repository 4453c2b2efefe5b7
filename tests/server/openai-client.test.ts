// The official `openai` npm client against a live server (port 0) over the FakeEngine: what a
// drop-in replacement must survive. Every response and chunk is also checked against OpenAI's
// own schemas.
import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, stopServer, type RunningServer } from '../../src/server/lifecycle.js';
import { FakeEngine } from './fake-engine.js';
import { FakeMediaResolver } from './fake-media-resolver.js';
import { assertOpenAiShape } from './openai-schema.js';
import { FRAMES_DATA_URL, PNG_DATA_URL, testConfig } from './test-app.js';

const KEY = 'sk-live-test';
let server: RunningServer;
let engine: FakeEngine;
let client: OpenAI;

/** The client types know OpenAI's fields only; ours (video_url, structured_outputs) go through as-is. */
type Extended<T> = T & Record<string, unknown>;

const imageMessage = {
  role: 'user' as const,
  content: [
    { type: 'image_url' as const, image_url: { url: PNG_DATA_URL } },
    { type: 'text' as const, text: 'What is the shot size?' },
  ],
};

beforeAll(async () => {
  engine = new FakeEngine();
  server = await startServer({
    engine,
    config: testConfig(['--host', '127.0.0.1', '--port', '0', '--api-key', KEY]),
    mediaResolver: new FakeMediaResolver(),
  });
  client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  await stopServer(server, 1000);
});

describe('the official openai client', () => {
  it('lists the model', async () => {
    const raw = await (await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })).json();
    assertOpenAiShape('ListModelsResponse', raw);
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models).toEqual([
      expect.objectContaining({ id: 'Vchitect/ShotVL-3B', object: 'model', owned_by: 'shotvl', max_model_len: 4096 }),
    ]);
  });

  it('completes a chat with a data-URL image', async () => {
    const completion = await client.chat.completions.create({
      model: 'Vchitect/ShotVL-3B',
      messages: [imageMessage],
      max_tokens: 32,
    });
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion.choices[0]?.message.content).toBe('A wide shot of a quiet street.');
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const parts = engine.requests.at(-1)?.messages[0]?.content;
    expect(Array.isArray(parts) && parts[0]?.type).toBe('image');
  });

  it('streams a chat with a video given as frames', async () => {
    const params: Extended<ChatCompletionCreateParamsStreaming> = {
      model: 'Vchitect/ShotVL-3B',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'video_url', video_url: { url: FRAMES_DATA_URL } },
            { type: 'text', text: 'Camera movement?' },
          ],
        },
      ] as never,
      stream: true,
      stream_options: { include_usage: true },
    };
    const stream = await client.chat.completions.create(params);
    let text = '';
    let usage: unknown;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('A wide shot of a quiet street.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: 7 });
  });

  it('returns n=2 choices with logprobs', async () => {
    const completion = await client.chat.completions.create({
      model: 'Vchitect/ShotVL-3B',
      messages: [imageMessage],
      n: 2,
      logprobs: true,
      top_logprobs: 2,
    });
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion.choices).toHaveLength(2);
    expect(completion.choices[1]?.logprobs?.content?.[0]?.top_logprobs).toHaveLength(2);
  });

  it('streams n=2 with logprobs', async () => {
    const stream = await client.chat.completions.create({
      model: 'Vchitect/ShotVL-3B',
      messages: [imageMessage],
      n: 2,
      logprobs: true,
      stream: true,
    });
    const texts = ['', ''];
    for await (const chunk of stream) {
      assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
      for (const choice of chunk.choices) texts[choice.index] += choice.delta.content ?? '';
    }
    expect(texts).toEqual(['A wide shot of a quiet street.', 'A wide shot of a quiet street.']);
  });

  it('constrains the answer to a choice', async () => {
    const params: Extended<ChatCompletionCreateParamsNonStreaming> = {
      model: 'Vchitect/ShotVL-3B',
      messages: [imageMessage],
      structured_outputs: { choice: ['Close Up', 'Medium Shot', 'Wide'] },
    };
    const completion = await client.chat.completions.create(params);
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion.choices[0]?.message.content).toBe('Close Up');
  });

  it('surfaces errors as APIError with our code', async () => {
    const error = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [imageMessage] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.code).toBe('model_not_found');
    assertOpenAiShape('ErrorResponse', { error: apiError.error });
    const unauthorized = await new OpenAI({ apiKey: 'wrong', baseURL: `${server.url}/v1`, maxRetries: 0 }).models
      .list()
      .catch((caught: unknown) => caught);
    expect(unauthorized).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('raises the error event of a failing stream', async () => {
    engine.failure = { error: new Error('kaboom in a worker'), afterTokens: 2 };
    try {
      const stream = await client.chat.completions.create({
        model: 'Vchitect/ShotVL-3B',
        messages: [imageMessage],
        stream: true,
      });
      const seen: string[] = [];
      const error = await (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((caught: unknown) => caught);
      expect(seen.join('')).toBe('A wide ');
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as Error).message).toMatch(/internal error \(request id [^)]+\)/);
      expect((error as Error).message).not.toContain('kaboom');
    } finally {
      engine.failure = undefined;
    }
  });
});
