// Table of bad requests: each gets the right status, OpenAI's error envelope with exactly the four
// fields and a string code, and the right `param`; afterwards the server still answers a good one.
import { DEFAULT_MAX_MEDIA_ITEMS } from '../../src/config/server-config.js';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeEngine } from './fake-engine.js';
import { FakeMediaResolver } from './fake-media-resolver.js';
import { assertOpenAiShape } from './openai-schema.js';
import { createTestApp, FRAMES_DATA_URL, PNG_DATA_URL, userMessage, type TestApp } from './test-app.js';

const KEY = 'sk-test-0123456789';
const AUTH = { authorization: `Bearer ${KEY}` };
const CHAT = '/v1/chat/completions';

interface BadRequest {
  name: string;
  request?: InjectOptions;
  /** A chat completion body (sent as JSON with the right key). */
  chat?: unknown;
  status: number;
  code: string;
  param?: string | null;
  message?: RegExp;
  headers?: Record<string, string | RegExp>;
  arrange?: (test: TestApp) => void;
}

const text = (content: string) => ({ messages: [userMessage(content)] });
const image = (url: unknown) => ({
  messages: [
    userMessage([
      { type: 'image_url', image_url: url },
      { type: 'text', text: 'Shot size?' },
    ]),
  ],
});
const NOT_AN_IMAGE = `data:image/png;base64,${Buffer.from('hello, not an image').toString('base64')}`;
const HUGE_IMAGE = `data:image/png;base64,${Buffer.alloc(4096, 1).toString('base64')}`;

const CASES: BadRequest[] = [
  // The body itself
  {
    name: 'malformed JSON',
    request: { payload: '{"messages": [', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'empty JSON body',
    request: { payload: '', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'JSON array body',
    request: { payload: '[1,2]', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'invalid_request',
    param: null,
  },
  {
    name: 'text/plain body',
    request: { payload: 'hello', headers: { 'content-type': 'text/plain' } },
    status: 415,
    code: 'unsupported_content_type',
  },
  {
    name: 'form body',
    request: { payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    status: 415,
    code: 'unsupported_content_type',
  },
  {
    name: 'body too large',
    chat: text('x'.repeat(70 * 1024)),
    status: 413,
    code: 'body_too_large',
    message: /65536 bytes/,
  },
  // messages
  {
    name: 'missing messages',
    chat: {},
    status: 400,
    code: 'invalid_request',
    param: 'messages',
    message: /Missing required parameter/,
  },
  { name: 'empty messages', chat: { messages: [] }, status: 400, code: 'invalid_request', param: 'messages' },
  { name: 'messages not a list', chat: { messages: 'hi' }, status: 400, code: 'invalid_request', param: 'messages' },
  {
    name: 'message without role',
    chat: { messages: [{ content: 'hi' }] },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].role',
  },
  {
    name: 'unknown role',
    chat: { messages: [{ role: 'bot', content: 'hi' }] },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].role',
  },
  {
    name: 'function role (OpenAI deprecated it for tool)',
    chat: { messages: [{ role: 'function', content: 'hi' }] },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].role',
  },
  {
    name: 'numeric content',
    chat: { messages: [userMessage(42)] },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].content',
  },
  {
    name: 'empty part list',
    chat: { messages: [userMessage([])] },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].content',
  },
  {
    name: 'unknown part type',
    chat: { messages: [userMessage([{ type: 'input_audio', input_audio: {} }])] },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].content[0].type',
  },
  {
    name: 'text part without text',
    chat: { messages: [userMessage([{ type: 'text' }])] },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].content[0].text',
  },
  {
    name: 'image_url of wrong type',
    chat: image(7),
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].content[0].image_url',
  },
  {
    name: 'image_url without url',
    chat: image({ detail: 'low' }),
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].content[0].image_url.url',
  },
  // media
  {
    name: 'bad base64',
    chat: image('data:image/png;base64,@@@not-base64@@@'),
    status: 400,
    code: 'invalid_media_url',
    param: 'messages[0].content[0].image_url',
  },
  {
    name: 'data URL without base64',
    chat: image('data:image/png,rawbytes'),
    status: 400,
    code: 'invalid_media_url',
    param: 'messages[0].content[0].image_url',
  },
  { name: 'non-image bytes', chat: image(NOT_AN_IMAGE), status: 415, code: 'unsupported_format' },
  {
    name: 'huge image',
    chat: image(HUGE_IMAGE),
    status: 413,
    code: 'media_too_large',
    param: 'messages[0].content[0].image_url',
  },
  {
    name: 'too many images',
    chat: {
      messages: [
        userMessage(
          Array.from({ length: DEFAULT_MAX_MEDIA_ITEMS + 1 }, () => ({ type: 'image_url', image_url: PNG_DATA_URL })),
        ),
      ],
    },
    status: 400,
    code: 'too_many_media_items',
    param: 'messages',
    message: new RegExp(`At most ${DEFAULT_MAX_MEDIA_ITEMS} `),
  },
  {
    name: 'private-address URL',
    chat: image('http://10.0.0.7/shot.png'),
    status: 400,
    code: 'media_url_not_allowed',
    param: 'messages[0].content[0].image_url',
  },
  {
    name: 'metadata-address URL',
    chat: image({ url: 'http://169.254.169.254/latest/meta-data' }),
    status: 400,
    code: 'media_url_not_allowed',
  },
  { name: 'file URL', chat: image('file:///etc/passwd'), status: 400, code: 'media_url_not_allowed' },
  { name: 'unreachable URL', chat: image('https://missing.example/shot.png'), status: 422, code: 'media_fetch_failed' },
  {
    name: 'bad video frame list',
    chat: { messages: [userMessage([{ type: 'video_url', video_url: `${FRAMES_DATA_URL},%%%` }])] },
    status: 400,
    code: 'invalid_media_url',
    param: 'messages[0].content[0].video_url',
  },
  // sampling fields
  { name: 'huge n', chat: { ...text('x'), n: 1000 }, status: 400, code: 'invalid_request', param: 'n' },
  { name: 'zero n', chat: { ...text('x'), n: 0 }, status: 400, code: 'invalid_request', param: 'n' },
  {
    name: 'negative max_tokens',
    chat: { ...text('x'), max_tokens: -5 },
    status: 400,
    code: 'invalid_request',
    param: 'max_tokens',
  },
  {
    name: 'zero max_completion_tokens',
    chat: { ...text('x'), max_completion_tokens: 0 },
    status: 400,
    code: 'invalid_request',
    param: 'max_completion_tokens',
  },
  {
    name: 'fractional max_tokens',
    chat: { ...text('x'), max_tokens: 2.5 },
    status: 400,
    code: 'invalid_request',
    param: 'max_tokens',
  },
  {
    name: 'temperature too high',
    chat: { ...text('x'), temperature: 3 },
    status: 400,
    code: 'invalid_request',
    param: 'temperature',
  },
  {
    name: 'temperature as a string',
    chat: { ...text('x'), temperature: '0.5' },
    status: 400,
    code: 'invalid_request',
    param: 'temperature',
  },
  { name: 'top_p zero', chat: { ...text('x'), top_p: 0 }, status: 400, code: 'invalid_request', param: 'top_p' },
  {
    name: 'top_logprobs too high',
    chat: { ...text('x'), logprobs: true, top_logprobs: 21 },
    status: 400,
    code: 'invalid_request',
    param: 'top_logprobs',
  },
  {
    name: 'top_logprobs without logprobs',
    chat: { ...text('x'), top_logprobs: 2 },
    status: 400,
    code: 'invalid_request',
    param: 'top_logprobs',
  },
  {
    name: 'presence_penalty out of range',
    chat: { ...text('x'), presence_penalty: 5 },
    status: 400,
    code: 'invalid_request',
    param: 'presence_penalty',
  },
  {
    name: 'too many stop sequences',
    chat: { ...text('x'), stop: Array.from({ length: 17 }, (_, index) => `s${index}`) },
    status: 400,
    code: 'invalid_request',
    param: 'stop',
    message: /at most 16 items/,
  },
  {
    name: 'logit_bias with a word key',
    chat: { ...text('x'), logit_bias: { hello: 1 } },
    status: 400,
    code: 'invalid_request',
    param: 'logit_bias',
  },
  {
    name: 'logit_bias out of range',
    chat: { ...text('x'), logit_bias: { '5': 500 } },
    status: 400,
    code: 'invalid_request',
    param: 'logit_bias[5]',
  },
  { name: 'fractional seed', chat: { ...text('x'), seed: 1.5 }, status: 400, code: 'invalid_request', param: 'seed' },
  {
    name: 'stream as a string',
    chat: { ...text('x'), stream: 'yes' },
    status: 400,
    code: 'invalid_request',
    param: 'stream',
  },
  {
    name: 'stream_options without stream',
    chat: { ...text('x'), stream_options: { include_usage: true } },
    status: 400,
    code: 'invalid_request',
    param: 'stream_options',
  },
  {
    name: 'empty cache_salt',
    chat: { ...text('x'), cache_salt: '' },
    status: 400,
    code: 'invalid_request',
    param: 'cache_salt',
  },
  {
    name: 'unknown mm_processor_kwargs key',
    chat: { ...text('x'), mm_processor_kwargs: { resized_height: 10 } },
    status: 400,
    code: 'invalid_request',
    param: 'mm_processor_kwargs.resized_height',
  },
  // Issue 17: numbers that used to overflow the M-RoPE positions of everyone in the batch.
  ...[1e-300, 5e-324, 1e-38, 0, -1, 1e9].map((fps): BadRequest => ({
    name: `fps ${fps}`,
    chat: { ...text('x'), mm_processor_kwargs: { fps } },
    status: 400,
    code: 'invalid_request',
    param: 'mm_processor_kwargs.fps',
  })),
  {
    name: 'max_pixels beyond the processor ceiling',
    chat: { ...text('x'), mm_processor_kwargs: { max_pixels: 1e12 } },
    status: 400,
    code: 'invalid_request',
    param: 'mm_processor_kwargs.max_pixels',
  },
  {
    name: 'min_pixels above max_pixels',
    chat: { ...text('x'), mm_processor_kwargs: { min_pixels: 1000, max_pixels: 10 } },
    status: 400,
    code: 'invalid_request',
  },
  // features
  {
    name: 'unknown model',
    chat: { ...text('x'), model: 'gpt-4o' },
    status: 404,
    code: 'model_not_found',
    param: 'model',
    message: /gpt-4o/,
  },
  {
    name: 'response_format json_schema without json_schema',
    chat: { ...text('x'), response_format: { type: 'json_schema' } },
    status: 400,
    code: 'invalid_request',
    param: 'response_format.json_schema',
  },
  {
    name: 'response_format unknown type',
    chat: { ...text('x'), response_format: { type: 'xml' } },
    status: 400,
    code: 'invalid_request',
    param: 'response_format.type',
  },
  {
    name: 'json_schema with an unsupported keyword',
    chat: {
      ...text('x'),
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'x',
          schema: { type: 'object', properties: { a: { type: 'string', not: { const: 'b' } } } },
        },
      },
    },
    status: 400,
    code: 'invalid_request',
    param: 'response_format.json_schema.schema',
    message: /keyword 'not' \(at #\/properties\/a\) is not supported/,
  },
  {
    name: 'structured_outputs.json with an external $ref',
    chat: { ...text('x'), structured_outputs: { json: { $ref: 'https://example.com/schema.json' } } },
    status: 400,
    code: 'invalid_request',
    param: 'structured_outputs.json',
    message: /\$ref/,
  },
  {
    name: 'guided_json that is not JSON',
    chat: { ...text('x'), guided_json: '{"type": ' },
    status: 400,
    code: 'invalid_request',
    param: 'guided_json',
  },
  {
    name: 'guided_regex that does not parse',
    chat: { ...text('x'), guided_regex: '([a-z]' },
    status: 400,
    code: 'invalid_request',
    param: 'guided_regex',
  },
  {
    name: 'two output constraints',
    chat: { ...text('x'), response_format: { type: 'json_object' }, guided_regex: '[a-z]+' },
    status: 400,
    code: 'invalid_request',
    param: 'guided_regex',
    message: /Only one output constraint/,
  },
  {
    name: 'unknown structured_outputs key',
    chat: { ...text('x'), structured_outputs: { structural_tag: '{}' } },
    status: 400,
    code: 'unsupported_feature',
    param: 'structured_outputs.structural_tag',
  },
  {
    name: 'empty guided_choice',
    chat: { ...text('x'), guided_choice: [] },
    status: 400,
    code: 'invalid_request',
    param: 'guided_choice',
  },
  {
    name: 'choice string over 1024 characters',
    chat: { ...text('x'), guided_choice: ['a', 'b'.repeat(1025)] },
    status: 400,
    code: 'invalid_request',
    param: 'guided_choice[1]',
  },
  {
    name: 'more than 1024 choice strings',
    chat: { ...text('x'), structured_outputs: { choice: Array.from({ length: 1025 }, (_, index) => `${index}`) } },
    status: 400,
    code: 'invalid_request',
    param: 'structured_outputs.choice',
  },
  {
    name: 'tool_choice naming a function that is not among tools',
    chat: {
      ...text('x'),
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: { type: 'function', function: { name: 'g' } },
    },
    status: 400,
    code: 'invalid_request',
    param: 'tool_choice.function.name',
  },
  {
    name: 'tool_choice required without tools',
    chat: { ...text('x'), tool_choice: 'required' },
    status: 400,
    code: 'invalid_request',
    param: 'tool_choice',
  },
  {
    name: 'tool parameters with an unsupported keyword',
    chat: {
      ...text('x'),
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', dependentRequired: {} } } }],
    },
    status: 400,
    code: 'invalid_request',
    param: 'tools[0].function.parameters',
    message: /dependentRequired/,
  },
  {
    name: 'tool_choice required together with response_format',
    chat: {
      ...text('x'),
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: 'required',
      response_format: { type: 'json_object' },
    },
    status: 400,
    code: 'invalid_request',
    param: 'tool_choice',
  },
  {
    name: 'tool_calls on a user message',
    chat: {
      messages: [
        {
          role: 'user',
          content: 'x',
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
      ],
    },
    status: 400,
    code: 'invalid_request',
    param: 'messages[0].tool_calls',
  },
  // auth
  {
    name: 'missing API key',
    request: { headers: { authorization: '' }, payload: text('x') },
    status: 401,
    code: 'invalid_api_key',
    headers: { 'www-authenticate': 'Bearer' },
  },
  {
    name: 'wrong API key',
    request: { headers: { authorization: 'Bearer sk-wrong' }, payload: text('x') },
    status: 401,
    code: 'invalid_api_key',
  },
  {
    name: 'Basic auth instead of Bearer',
    request: { headers: { authorization: `Basic ${KEY}` }, payload: text('x') },
    status: 401,
    code: 'invalid_api_key',
  },
  // engine states
  {
    name: 'engine overloaded',
    chat: text('x'),
    status: 503,
    code: 'overloaded',
    headers: { 'retry-after': '2' },
    arrange: (test) => (test.engine.overloadedRetryAfterSeconds = 2),
  },
  {
    name: 'engine still loading',
    chat: text('x'),
    status: 503,
    code: 'not_ready',
    headers: { 'retry-after': /^\d+$/ },
    arrange: (test) => test.engine.setState('loading'),
  },
  {
    name: 'context overflow',
    chat: { ...text('word '.repeat(3000)), max_tokens: 4000 },
    status: 400,
    code: 'context_length_exceeded',
    message:
      /^This model's maximum context length is 4096 tokens\. However, you requested \d+ tokens \(\d+ in the messages, 4000 in the completion\)\. Please reduce the length of the messages or completion\.$/,
  },
  {
    name: 'context overflow without max_tokens',
    chat: text('word '.repeat(5000)),
    status: 400,
    code: 'context_length_exceeded',
    message:
      /^This model's maximum context length is 4096 tokens\. However, your messages resulted in \d+ tokens, which leaves no room for a completion\. Please reduce the length of the messages\.$/,
  },
  // routes
  {
    name: 'GET on a POST route',
    request: { method: 'GET', url: CHAT, payload: undefined },
    status: 405,
    code: 'method_not_allowed',
    headers: { allow: 'POST' },
  },
  {
    name: 'POST on a GET route',
    request: { method: 'POST', url: '/v1/models' },
    status: 405,
    code: 'method_not_allowed',
    headers: { allow: 'GET, HEAD' },
  },
  {
    name: 'malformed URL encoding',
    request: { method: 'GET', url: '/v1/models/%zz' },
    status: 400,
    code: 'invalid_request',
    message: /FST_ERR_BAD_URL/,
  },
  {
    name: 'unknown route',
    request: { method: 'POST', url: '/v1/completions' },
    status: 404,
    code: 'unknown_url',
    message: /POST \/v1\/completions/,
  },
  {
    name: 'tokenize with prompt and messages',
    request: { url: '/tokenize', payload: { prompt: 'a', ...text('b') } },
    status: 400,
    code: 'invalid_request',
  },
  {
    name: 'detokenize a negative id',
    request: { url: '/detokenize', payload: { tokens: [1, -2] } },
    status: 400,
    code: 'invalid_request',
    param: 'tokens[1]',
  },
];

describe('bad requests', () => {
  let test: TestApp;

  beforeAll(() => {
    test = createTestApp({
      argv: ['--api-key', KEY, '--body-limit', '64KiB'],
      engine: new FakeEngine(),
      resolver: new FakeMediaResolver(2048),
    });
  });
  afterAll(() => test.app.close());

  it('covers at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((entry) => entry.name)).size).toBe(CASES.length);
  });

  it.each(CASES)('$name -> $status $code', async (entry) => {
    entry.arrange?.(test);
    try {
      const request = entry.request ?? {};
      const response = await test.app.inject({
        method: 'POST',
        url: CHAT,
        ...(entry.chat === undefined ? {} : { payload: entry.chat as Record<string, unknown> }),
        ...request,
        headers: { ...AUTH, ...request.headers },
      });
      expect(response.statusCode).toBe(entry.status);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
      const body = response.json();
      assertOpenAiShape('ErrorResponse', body);
      expect(Object.keys(body)).toEqual(['error']);
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(body.error.code).toBe(entry.code);
      expect(body.error.type).toBe(
        entry.status === 401 ? 'authentication_error' : entry.status >= 500 ? 'server_error' : 'invalid_request_error',
      );
      expect(body.error.message).toEqual(expect.any(String));
      expect(body.error.message.length).toBeGreaterThan(10);
      if (entry.param !== undefined) expect(body.error.param).toBe(entry.param);
      if (entry.message !== undefined) expect(body.error.message).toMatch(entry.message);
      for (const [name, value] of Object.entries(entry.headers ?? {})) {
        if (typeof value === 'string') expect(response.headers[name]).toBe(value);
        else expect(String(response.headers[name])).toMatch(value);
      }
    } finally {
      test.engine.overloadedRetryAfterSeconds = undefined;
      test.engine.setState('ready');
    }
  });

  it('still answers a good request afterwards, with nothing left running', async () => {
    const response = await test.app.inject({ method: 'POST', url: CHAT, headers: AUTH, payload: image(PNG_DATA_URL) });
    expect(response.statusCode).toBe(200);
    expect(response.json().choices[0].message.content).toBe('A wide shot of a quiet street.');
    expect(test.engine.running).toBe(0);
  });
});
