// Issue 5 "Must show": the official `openai` npm client against a live server on port 0 with the
// real tiny model (worker thread, real media preprocessing and MediaLoader). Images and a video
// (made here with ffmpeg) go in as data URLs; every response and SSE chunk is checked against
// OpenAI's own schemas. The tiny model's weights are random, so the tests check shapes and
// invariants (greedy streaming = greedy non-streaming, seeded runs repeat, the choice constraint
// holds, the prefix cache reports hits) rather than particular words.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertOpenAiShape } from '../server/openai-schema.js';
import { makeTestVideo } from '../helpers/test-video.js';
import { goldenImageDataUrl, startLiveTinyServer, type LiveTinyServer } from './live-tiny-server.js';

/** The client types know OpenAI's fields only; ours (video_url, structured_outputs, top_k, ...) go through as-is. */
type Extended<T> = T & Record<string, unknown>;

const MAX_TOKENS = 8;
/** Greedy, whatever generation_config.json says (make-tiny ships Qwen2.5-VL's: temperature 0.1, top_k 1). */
const GREEDY = { temperature: 0 } as const;
let live: LiveTinyServer;
let client: OpenAI;
let folder = '';
let imageUrl = '';
let videoUrl = '';

function imageMessages(question = 'What is the shot size?'): ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: 'You are a cinematographer.' },
    {
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: imageUrl } },
        { type: 'text', text: question },
      ],
    },
  ];
}

function videoMessages(): ChatCompletionMessageParam[] {
  return [
    {
      role: 'user',
      content: [
        { type: 'video_url', video_url: { url: videoUrl } },
        { type: 'text', text: 'What is the camera movement?' },
      ],
    },
  ] as never;
}

/** Reads a stream, validating every chunk; returns the text per choice, finish reasons, usage and chunks. */
async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<{
  texts: string[];
  finish: (string | null)[];
  usage: ChatCompletionChunk['usage'];
  chunks: ChatCompletionChunk[];
}> {
  const texts: string[] = [];
  const finish: (string | null)[] = [];
  const chunks: ChatCompletionChunk[] = [];
  let usage: ChatCompletionChunk['usage'];
  for await (const chunk of stream) {
    assertOpenAiShape('CreateChatCompletionStreamResponse', chunk);
    chunks.push(chunk);
    for (const choice of chunk.choices) {
      texts[choice.index] = (texts[choice.index] ?? '') + (choice.delta.content ?? '');
      if (choice.finish_reason !== null) finish[choice.index] = choice.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { texts, finish, usage, chunks };
}

function contentOf(completion: ChatCompletion, index = 0): string {
  const content = completion.choices[index]?.message.content;
  if (typeof content !== 'string') throw new Error(`choice ${index} has no text content`);
  return content;
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'e2e-openai-'));
  imageUrl = goldenImageDataUrl();
  makeTestVideo(join(folder, 'testsrc.mp4'));
  videoUrl = `data:video/mp4;base64,${readFileSync(join(folder, 'testsrc.mp4')).toString('base64')}`;
  live = await startLiveTinyServer();
  client = new OpenAI({ apiKey: 'unused', baseURL: `${live.url}/v1`, maxRetries: 0, timeout: 30_000 });
});

afterAll(async () => {
  await live?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the official openai client against the tiny model', () => {
  it('lists the model', async () => {
    const raw = await (await fetch(`${live.url}/v1/models`)).json();
    assertOpenAiShape('ListModelsResponse', raw);
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models).toEqual([
      expect.objectContaining({ id: live.modelId, object: 'model', max_model_len: live.engine.model.maxModelLength }),
    ]);
  });

  it('completes a chat with a data-URL image, and streams the same greedy text', async () => {
    const completion = await client.chat.completions.create({
      model: live.modelId,
      messages: imageMessages(),
      max_tokens: MAX_TOKENS,
      ...GREEDY,
    });
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion).toMatchObject({ object: 'chat.completion', model: live.modelId });
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toMatchObject({
      index: 0,
      message: { role: 'assistant', refusal: null },
      logprobs: null,
    });
    const usage = completion.usage!;
    // 100×100 -> smart_resize 112×112 -> 8×8 patches -> 16 merged image tokens, plus the text.
    expect(usage.prompt_tokens).toBeGreaterThan(16);
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(MAX_TOKENS);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.prompt_tokens_details?.cached_tokens).toEqual(expect.any(Number));
    const finish = completion.choices[0]?.finish_reason;
    if (finish === 'length') expect(usage.completion_tokens).toBe(MAX_TOKENS);
    else expect(finish).toBe('stop');

    const streamed = await drain(
      await client.chat.completions.create({
        model: live.modelId,
        messages: imageMessages(),
        max_tokens: MAX_TOKENS,
        ...GREEDY,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(streamed.texts).toEqual([contentOf(completion)]);
    expect(streamed.finish).toEqual([finish]);
    expect(streamed.chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(new Set(streamed.chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(streamed.usage).toMatchObject({
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
    });
  });

  it('reports cached prompt tokens when the same image is asked about twice', async () => {
    // A salt of its own, so that the first request cannot hit entries other tests left behind.
    const params: Extended<ChatCompletionCreateParamsNonStreaming> = {
      model: live.modelId,
      messages: imageMessages('Describe the lighting of this shot.'),
      max_tokens: 2,
      ...GREEDY,
      cache_salt: 'cached-tokens-e2e',
    };
    const hitsBefore = live.engine.stats().prefixCacheHits;
    const first = await client.chat.completions.create(params);
    const second = await client.chat.completions.create(params);
    for (const completion of [first, second]) assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
    expect(second.usage?.prompt_tokens_details?.cached_tokens).toBeLessThan(second.usage!.prompt_tokens);
    expect(live.engine.stats().prefixCacheHits).toBeGreaterThan(hitsBefore);
    expect(contentOf(second)).toBe(contentOf(first));
  });

  it('completes and streams a chat with an mp4 video', async () => {
    const params: Extended<ChatCompletionCreateParamsNonStreaming> = {
      model: live.modelId,
      messages: videoMessages(),
      max_tokens: MAX_TOKENS,
      ...GREEDY,
    };
    const completion = await client.chat.completions.create(params);
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    // qwen-vl-utils' rules: 10 frames (fps 12 capped at the 10 there are), each 64×64 raised to
    // VIDEO_MIN_PIXELS (128·28·28) -> 336×336 -> 12×12 merged tokens per 2-frame patch: 5 × 144 = 720.
    const textTokens = 40;
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(720);
    expect(completion.usage?.prompt_tokens).toBeLessThan(720 + textTokens);
    expect(live.engine.stats().visionCacheQueries).toBeGreaterThan(0);

    const streamParams: Extended<ChatCompletionCreateParamsStreaming> = {
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    };
    const streamed = await drain(await client.chat.completions.create(streamParams));
    expect(streamed.texts).toEqual([contentOf(completion)]);
    expect(streamed.usage?.prompt_tokens).toBe(completion.usage?.prompt_tokens);
  });

  it('returns n=2 choices with logprobs and top_logprobs, streamed and not', async () => {
    const params = {
      model: live.modelId,
      messages: imageMessages(),
      max_tokens: 4,
      n: 2,
      logprobs: true,
      top_logprobs: 3,
      ...GREEDY,
    } as const;
    const completion = await client.chat.completions.create(params);
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1]);
    let completionTokens = 0;
    for (const choice of completion.choices) {
      const content = choice.logprobs?.content ?? [];
      completionTokens += content.length;
      for (const entry of content) {
        expect(entry.top_logprobs).toHaveLength(3);
        expect(entry.logprob).toBeLessThanOrEqual(0);
        // Greedy: the chosen token is the most likely one.
        expect(entry.top_logprobs[0]).toMatchObject({ token: entry.token, logprob: entry.logprob });
        const logprobs = entry.top_logprobs.map((top) => top.logprob);
        expect([...logprobs].sort((a, b) => b - a)).toEqual(logprobs);
      }
    }
    expect(completion.usage?.completion_tokens).toBe(completionTokens);
    expect(contentOf(completion, 1)).toBe(contentOf(completion, 0));

    const streamed = await drain(await client.chat.completions.create({ ...params, stream: true }));
    expect(streamed.texts).toEqual([contentOf(completion, 0), contentOf(completion, 1)]);
    const streamedLogprobs = streamed.chunks.flatMap((chunk) =>
      chunk.choices.flatMap((choice) => choice.logprobs?.content ?? []),
    );
    expect(streamedLogprobs).toHaveLength(completionTokens);
    expect(streamedLogprobs.every((entry) => entry.top_logprobs.length === 3)).toBe(true);
  });

  it('constrains the answer to one of the structured choices', async () => {
    const choices = ['Close Up', 'Medium Shot', 'Extreme Wide'];
    const params: Extended<ChatCompletionCreateParamsNonStreaming> = {
      model: live.modelId,
      messages: imageMessages(),
      ...GREEDY,
      structured_outputs: { choice: choices },
    };
    const completion = await client.chat.completions.create(params);
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(choices).toContain(contentOf(completion));
    expect(completion.choices[0]?.finish_reason).toBe('stop');

    const streamParams: Extended<ChatCompletionCreateParamsStreaming> = {
      model: live.modelId,
      messages: imageMessages(),
      ...GREEDY,
      guided_choice: choices,
      stream: true,
    };
    const streamed = await drain(await client.chat.completions.create(streamParams));
    expect(streamed.texts).toEqual([contentOf(completion)]);
  });

  it('reproduces a seeded sampled completion', async () => {
    // top_k keeps sampling cheap: the random tiny model's distribution is nearly flat over 151,936 tokens.
    // top_p 1 overrides the model's generation_config.json default (0.001, which keeps one token).
    const sampled = (seed: number): Extended<ChatCompletionCreateParamsNonStreaming> => ({
      model: live.modelId,
      messages: imageMessages(),
      max_tokens: 6,
      temperature: 1,
      top_p: 1,
      top_k: 20,
      seed,
    });
    const first = await client.chat.completions.create(sampled(1234));
    const again = await client.chat.completions.create(sampled(1234));
    const other = await client.chat.completions.create(sampled(4321));
    for (const completion of [first, again, other]) assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(contentOf(again)).toBe(contentOf(first));
    // Six draws among ~20 candidates each: another seed gives the same text with probability ~1e-8.
    expect(contentOf(other)).not.toBe(contentOf(first));
  });

  it('surfaces errors as APIError in OpenAI’s error shape', async () => {
    const unknownModel = await client.chat.completions
      .create({ model: 'gpt-4o', messages: imageMessages() })
      .catch((caught: unknown) => caught);
    expect(unknownModel).toBeInstanceOf(OpenAI.NotFoundError);
    assertOpenAiShape('ErrorResponse', { error: (unknownModel as InstanceType<typeof OpenAI.APIError>).error });

    // Real decoding: bytes that claim to be a PNG but are not one.
    const notAnImage = `data:image/png;base64,${Buffer.from('definitely not a png').toString('base64')}`;
    const messages: ChatCompletionMessageParam[] = [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: notAnImage } },
          { type: 'text', text: 'Shot size?' },
        ],
      },
    ];
    const badImage = await client.chat.completions
      .create({ model: live.modelId, messages })
      .catch((caught: unknown) => caught);
    expect(badImage).toBeInstanceOf(OpenAI.APIError);
    const apiError = badImage as InstanceType<typeof OpenAI.APIError>;
    expect([400, 415, 422]).toContain(apiError.status);
    assertOpenAiShape('ErrorResponse', { error: apiError.error });
    const raw = await fetch(`${live.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: live.modelId, messages }),
    });
    assertOpenAiShape('ErrorResponse', await raw.json());

    // The engine is idle again and still answers.
    expect(live.engine.stats()).toMatchObject({ running: 0, waiting: 0 });
    const completion = await client.chat.completions.create({
      model: live.modelId,
      messages: imageMessages(),
      max_tokens: 2,
    });
    assertOpenAiShape('CreateChatCompletionResponse', completion);
  });
});

describe("the official openai client's Responses API against the tiny model", () => {
  it('answers text and image input, and streams the same greedy text with typed events', async () => {
    const input = [
      {
        role: 'user' as const,
        content: [
          { type: 'input_image' as const, image_url: imageUrl, detail: 'auto' as const },
          { type: 'input_text' as const, text: 'What is the shot size?' },
        ],
      },
    ];
    const request = {
      model: live.modelId,
      instructions: 'You are a cinematographer.',
      input,
      max_output_tokens: MAX_TOKENS,
      store: false,
      ...GREEDY,
    };
    const response = await client.responses.create(request);
    assertOpenAiShape('Response', response);
    expect(response.object).toBe('response');
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeLessThanOrEqual(MAX_TOKENS);
    // 100×100 -> 16 merged image tokens, plus the instructions and the question.
    expect(response.usage?.input_tokens).toBeGreaterThan(16);

    const stream = await client.responses.create({ ...request, stream: true });
    const types: string[] = [];
    let streamed = '';
    let completed: unknown;
    for await (const event of stream) {
      assertOpenAiShape('ResponseStreamEvent', event);
      types.push(event.type);
      if (event.type === 'response.output_text.delta') streamed += event.delta;
      if (event.type === 'response.completed' || event.type === 'response.incomplete') completed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(['response.completed', 'response.incomplete']).toContain(types.at(-1));
    expect(streamed).toBe(response.output_text);
    expect((completed as { output_text: string }).output_text).toBe(response.output_text);
  });

  it('answers text.format json_schema with JSON that matches the schema (only the grammar makes it so)', async () => {
    const schema = {
      type: 'object',
      properties: {
        shot_size: { type: 'string', enum: ['close-up', 'medium', 'wide'] },
        confident: { type: 'boolean' },
      },
      required: ['shot_size', 'confident'],
      additionalProperties: false,
    };
    const response = await client.responses.create({
      model: live.modelId,
      input: 'What is the shot size? Answer in JSON.',
      text: { format: { type: 'json_schema', name: 'shot', schema, strict: true } },
      max_output_tokens: 64,
      ...GREEDY,
    });
    assertOpenAiShape('Response', response);
    expect(response.status).toBe('completed');
    const parsed = JSON.parse(response.output_text) as { shot_size: string; confident: boolean };
    expect(['close-up', 'medium', 'wide']).toContain(parsed.shot_size);
    expect(typeof parsed.confident).toBe('boolean');
    expect(Object.keys(parsed).sort()).toEqual(['confident', 'shot_size']);
  });

  it('refuses previous_response_id with a 400 the client surfaces', async () => {
    const caught = await client.responses
      .create({ model: live.modelId, input: 'x', previous_response_id: 'resp_123' })
      .catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(OpenAI.BadRequestError);
    expect((caught as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ param: 'previous_response_id' });
  });
});
