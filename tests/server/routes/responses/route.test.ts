// POST /v1/responses through app.inject(): the response object and every stream event are checked
// against OpenAI's own schemas; the translation into the engine's request; what needs stored state
// is refused with a 400 naming the field; errors name the Responses fields, not chat's.
import { afterEach, describe, expect, it } from 'vitest';
import { assertOpenAiShape } from '../../openai-schema.js';
import { createTestApp, PNG_DATA_URL, type TestApp } from '../../test-app.js';

const URL = '/v1/responses';
const REPLY = 'A wide shot of a quiet street.';
let current: TestApp | undefined;

function setup(): TestApp {
  current = createTestApp();
  return current;
}

afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

async function post(test: TestApp, payload: Record<string, unknown>) {
  return test.app.inject({ method: 'POST', url: URL, payload });
}

interface TypedEvent {
  type: string;
  sequence_number: number;
  [key: string]: unknown;
}

/** `event: <type>` + `data: <json>` blocks; checks that the two agree. */
function parseTypedSse(body: string): TypedEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const [eventLine, dataLine, ...rest] = block.split('\n');
      expect(rest).toEqual([]);
      expect(eventLine).toMatch(/^event: /);
      const event = JSON.parse((dataLine ?? '').replace(/^data: /, '')) as TypedEvent;
      expect(event.type).toBe(eventLine?.slice('event: '.length));
      return event;
    });
}

describe('POST /v1/responses', () => {
  it("answers with OpenAI's response object", async () => {
    const test = setup();
    const response = await post(test, {
      model: 'Vchitect/ShotVL-3B',
      instructions: 'You are a cinematographer.',
      input: 'Describe the shot.',
      max_output_tokens: 64,
      metadata: { job: '7' },
      store: false,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    assertOpenAiShape('Response', body);
    expect(body).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'Vchitect/ShotVL-3B',
      instructions: 'You are a cinematographer.',
      max_output_tokens: 64,
      metadata: { job: '7' },
      output_text: REPLY,
      incomplete_details: null,
      error: null,
    });
    expect(body.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(body.output).toEqual([
      {
        id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: REPLY, annotations: [], logprobs: [] }],
      },
    ]);
    expect(body.usage.output_tokens).toBe(7);
    expect(body.usage.total_tokens).toBe(body.usage.input_tokens + 7);
    const [request] = test.engine.requests;
    expect(request?.messages).toEqual([
      { role: 'system', content: 'You are a cinematographer.' },
      { role: 'user', content: 'Describe the shot.' },
    ]);
    expect(request?.sampling.maxTokens).toBe(64);
  });

  it('takes input_text, input_image and replayed output_text items', async () => {
    const test = setup();
    const response = await post(test, {
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'First shot?' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'A close-up.' }] },
        {
          role: 'user',
          content: [
            { type: 'input_image', image_url: PNG_DATA_URL, detail: 'auto' },
            { type: 'input_text', text: 'And this one?' },
          ],
        },
      ],
    });
    expect(response.statusCode).toBe(200);
    const messages = test.engine.requests[0]?.messages ?? [];
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]?.content).toEqual([{ type: 'text', text: 'A close-up.' }]);
    const last = messages[2]?.content;
    expect(Array.isArray(last) ? last.map((part) => part.type) : []).toEqual(['image', 'text']);
  });

  it('reports a cut answer as incomplete with reason max_output_tokens', async () => {
    const test = setup();
    const body = (await post(test, { input: 'x', max_output_tokens: 3 })).json();
    assertOpenAiShape('Response', body);
    expect(body.status).toBe('incomplete');
    expect(body.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(body.output[0].status).toBe('incomplete');
  });

  it("streams OpenAI's typed events in order, each valid, ending with response.completed", async () => {
    const test = setup();
    const response = await post(test, { input: 'x', stream: true });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = parseTypedSse(response.body);
    for (const event of events) assertOpenAiShape('ResponseStreamEvent', event);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const types = events.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.filter((event) => event.type === 'response.output_text.delta');
    expect(deltas.map((event) => event.delta).join('')).toBe(REPLY);
    const completed = events.at(-1)?.response as { output_text: string; usage: { output_tokens: number } };
    expect(completed.output_text).toBe(REPLY);
    expect(completed.usage.output_tokens).toBe(7);
    expect(response.body).not.toContain('[DONE]');
  });

  it('sends an error event when generation fails after the stream began', async () => {
    const test = setup();
    test.engine.failure = { error: new Error('CUDA error: an illegal memory access'), afterTokens: 2 };
    const response = await post(test, { input: 'x', stream: true });
    const events = parseTypedSse(response.body);
    const last = events.at(-1);
    assertOpenAiShape('ResponseStreamEvent', last);
    expect(last).toMatchObject({ type: 'error', code: 'internal_error', param: null });
    expect(response.body).not.toContain('CUDA');
  });

  it.each([
    [{ input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id'],
    [{ input: 'x', conversation: 'conv_1' }, 'conversation'],
    [{ input: 'x', background: true }, 'background'],
    [{ input: 'x', tools: [{ type: 'function', name: 'f', parameters: {} }] }, 'tools'],
  ])('refuses what needs stored state or tools with a 400 naming the field (%j)', async (payload, param) => {
    const test = setup();
    const response = await post(test, payload);
    expect(response.statusCode).toBe(400);
    const body = response.json();
    assertOpenAiShape('ErrorResponse', body);
    expect(body.error.param).toBe(param);
    expect(test.engine.requests).toHaveLength(0);
  });

  it('returns the log-probabilities of every output token with top_logprobs, streamed and not', async () => {
    const test = setup();
    const body = (await post(test, { input: 'x', top_logprobs: 2 })).json();
    assertOpenAiShape('Response', body);
    const logprobs = body.output[0].content[0].logprobs as { token: string; top_logprobs: unknown[] }[];
    expect(logprobs).toHaveLength(7);
    expect(logprobs.map((item) => item.token).join('')).toBe(REPLY);
    expect(logprobs.every((item) => item.top_logprobs.length === 2)).toBe(true);
    const events = parseTypedSse((await post(test, { input: 'x', top_logprobs: 2, stream: true })).body);
    for (const event of events) assertOpenAiShape('ResponseStreamEvent', event);
    const deltas = events.filter((event) => event.type === 'response.output_text.delta');
    expect(deltas.flatMap((event) => event.logprobs as unknown[])).toHaveLength(7);
  });

  it("keeps metadata within OpenAI's bounds", async () => {
    const test = setup();
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v']));
    for (const metadata of [tooMany, { ['k'.repeat(65)]: 'v' }, { k: 'v'.repeat(513) }]) {
      const response = await post(test, { input: 'x', metadata });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('invalid_request');
    }
  });

  it('names text.format fields when a JSON schema is refused', async () => {
    const test = setup();
    const response = await post(test, {
      input: 'x',
      text: { format: { type: 'json_schema', name: 'shot', schema: { type: 'object', not: { type: 'null' } } } },
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.param).toBe('text.format.schema');
    expect(error.message).toMatch(/^Invalid 'text\.format\.schema': JSON Schema keyword 'not'/);
    expect(error.message).not.toContain('response_format');
  });

  it('names the Responses fields in errors raised by the shared chat pipeline', async () => {
    const test = setup();
    const badImage = await post(test, {
      instructions: 'be brief',
      input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,!!!!' }] }],
    });
    expect(badImage.statusCode).toBe(400);
    expect(badImage.json().error.param).toBe('input[0].content[0].image_url');
    const unknownModel = await post(test, { model: 'gpt-4o', input: 'x' });
    expect(unknownModel.statusCode).toBe(404);
    expect(unknownModel.json().error.param).toBe('model');
    const badInput = await post(test, { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] });
    expect(badInput.statusCode).toBe(400);
    expect(badInput.json().error.code).toBe('invalid_request');
  });
});
