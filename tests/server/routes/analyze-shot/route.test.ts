// POST /analyze-shot through app.inject() over the FakeEngine: the requests it makes of the engine,
// the response shape (checked against openapi.yaml), both request forms, and the errors.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { GenerationRequest, MediaItem } from '../../../../src/runtime/engine/engine-api.js';
import { analysisVocabulary } from '../../../../src/shot/analysis/analysis-dimensions.js';
import { DIMENSION_KEYS } from '../../../../src/shot/analysis/dimension-keys.js';
import { PLAIN_SYSTEM_PROMPT, REASONING_SYSTEM_PROMPT } from '../../../../src/shot/system-prompts.js';
import { SHOT_CATEGORIES } from '../../../../src/shot/dimensions.js';
import { FakeEngine } from '../../fake-engine.js';
import { assertOpenAiShape } from '../../openai-schema.js';
import { createTestApp, PNG_DATA_URL, type TestApp, type TestAppOptions } from '../../test-app.js';
import { multipartForm, mp4Header, PNG_BYTES } from './multipart-form.js';

const URL = '/analyze-shot';
const VIDEO_DATA_URL = `data:video/mp4;base64,${mp4Header().toString('base64')}`;
let current: TestApp | undefined;

function setup(options: TestAppOptions = {}): TestApp {
  current = createTestApp(options);
  return current;
}

afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

const openapi = parse(readFileSync(new globalThis.URL('../../../../openapi.yaml', import.meta.url), 'utf8')) as {
  components: unknown;
};
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ $id: 'ours', components: openapi.components });

function assertDocumented(body: unknown): void {
  const validate = ajv.getSchema('ours#/components/schemas/AnalyzeShotResponse')!;
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

function sum(values: Record<string, number>): number {
  return Object.values(values).reduce((total, value) => total + value, 0);
}

function uploadTemporaryFolders(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('shotvl-upload-'));
}

describe('JSON requests', () => {
  it('asks the 7 image questions at once and answers with the documented shape', async () => {
    const test = setup();
    const response = await test.app.inject({
      method: 'POST',
      url: URL,
      payload: { image_url: PNG_DATA_URL, prompt: 'A man crosses a quiet street' },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    assertDocumented(body);
    expect(body).toMatchObject({
      object: 'shot.analysis',
      model: 'Vchitect/ShotVL-3B',
      mode: 'fast',
      media: { kind: 'image' },
    });
    expect(body.id).toMatch(/^shot-[0-9a-f]{32}$/);
    expect(Object.keys(body.dimensions)).toEqual(DIMENSION_KEYS.filter((key) => key !== 'camera_movement'));
    SHOT_CATEGORIES.filter((category) => category !== 'camera movement').forEach((category, position) => {
      const dimension = body.dimensions[DIMENSION_KEYS[position]!];
      expect(Object.keys(dimension.distribution)).toEqual([...analysisVocabulary(category)]);
      expect(sum(dimension.distribution)).toBeCloseTo(1, 9);
      // The fake engine gives the first option 0.9.
      expect(dimension).toMatchObject({ label: analysisVocabulary(category)[0], letter: 'A' });
      expect(dimension.confidence).toBeCloseTo(0.9, 9);
    });
    expect(body.prompt_fragment).toBe(
      'close-up, two-shot, aerial shot, long lens, backlit, artificial light, balanced composition',
    );
    expect(body.enriched_prompt).toBe(
      `A man crosses a quiet street. ${body.prompt_fragment.charAt(0).toUpperCase()}${body.prompt_fragment.slice(1)}.`,
    );
    expect(body.usage.requests).toBe(7);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);

    expect(test.engine.requests).toHaveLength(7);
    for (const request of test.engine.requests) {
      expect(request.messages[0]).toEqual({ role: 'system', content: PLAIN_SYSTEM_PROMPT });
      const content = request.messages[1]!.content as [MediaItem, { type: 'text'; text: string }];
      expect(content[0]).toMatchObject({ type: 'image', source: { kind: 'bytes' } });
      expect(content[1].text).toMatch(/^Question: What's the .* of this shot\?\nOptions:\nA\. /);
      expect(request.sampling).toMatchObject({ temperature: 0, maxTokens: 1, n: 1 });
      expect(request.sampling.choices?.[0]).toBe('A');
    }
  });

  it('asks all 8 questions of a video, with its fps and max_pixels; a subset when asked', async () => {
    const test = setup();
    const video = (
      await test.app.inject({
        method: 'POST',
        url: URL,
        payload: { video_url: { url: VIDEO_DATA_URL }, fps: 4, max_pixels: 50_000 },
      })
    ).json();
    expect(Object.keys(video.dimensions)).toEqual([...DIMENSION_KEYS]);
    expect(video.dimensions.camera_movement.distribution).toHaveProperty('Push in');
    const part = (test.engine.requests[0]!.messages[1]!.content as MediaItem[])[0]!;
    expect(part).toMatchObject({ type: 'video', options: { fps: 4, maxPixels: 50_000 } });
    expect(test.resolver.resolved).toEqual([{ url: VIDEO_DATA_URL.slice(0, 80), kind: 'video' }]);

    const subset = (
      await test.app.inject({
        method: 'POST',
        url: URL,
        payload: { video_url: VIDEO_DATA_URL, dimensions: ['CM', 'shot size', 'shot_size'] },
      })
    ).json();
    expect(Object.keys(subset.dimensions)).toEqual(['shot_size', 'camera_movement']);
  });

  it('reasoning mode: ShotVL system prompt, parsed letter, reasoning text, letter-token probabilities', async () => {
    const engine = new FakeEngine({ reply: '<think>The lens looks up at him.</think> <answer>D</answer>' });
    const test = setup({ engine });
    const body = (
      await test.app.inject({
        method: 'POST',
        url: URL,
        payload: { image_url: PNG_DATA_URL, mode: 'reasoning', dimensions: ['camera_angle'], max_tokens: 64 },
      })
    ).json();
    assertDocumented(body);
    expect(body.dimensions.camera_angle).toMatchObject({
      label: 'Low angle',
      letter: 'D',
      confidence: 1,
      reasoning: 'The lens looks up at him.',
      answer: { letter: 'D', rule: 'option', finish_reason: 'stop' },
      probability_source: 'answer_token',
    });
    const request = engine.requests[0] as GenerationRequest;
    expect(request.messages[0]).toEqual({ role: 'system', content: REASONING_SYSTEM_PROMPT });
    expect(request.sampling).toMatchObject({ temperature: 0, maxTokens: 64, logprobs: 20, repetitionPenalty: 1.05 });
    expect(request.sampling.choices).toBeUndefined();
  });

  it('reasoning mode without a readable answer falls back to constrained choice for the distribution', async () => {
    const engine = new FakeEngine({ reply: 'Hard to say from this frame.' });
    const test = setup({ engine });
    const body = (
      await test.app.inject({ method: 'POST', url: URL, payload: { image_url: PNG_DATA_URL, mode: 'reasoning' } })
    ).json();
    assertDocumented(body);
    expect(body.usage.requests).toBe(14);
    expect(body.dimensions.shot_size).toMatchObject({
      label: 'Close Up',
      answer: { letter: null, rule: null },
      probability_source: 'constrained_choice',
    });
    expect(body.dimensions.shot_size.reasoning).toBe('Hard to say from this frame.');
  });

  it.each([
    [{}, 'image_url', /exactly one of 'image_url' or 'video_url'/],
    [{ image_url: PNG_DATA_URL, video_url: VIDEO_DATA_URL }, 'video_url', /exactly one/],
    [{ image_url: PNG_DATA_URL, dimensions: ['shot_size', 'mood'] }, 'dimensions[1]', /Unknown dimension 'mood'/],
    [
      { image_url: PNG_DATA_URL, dimensions: ['camera_movement'] },
      'dimensions',
      /camera_movement can only be read from a video/,
    ],
    [{ image_url: PNG_DATA_URL, mode: 'slow' }, 'mode', /Invalid value for 'mode'/],
    [{ image_url: PNG_DATA_URL, temperature: 0.5 }, 'temperature', /temperature/],
    [{ image_url: PNG_DATA_URL, max_tokens: 0 }, 'max_tokens', /max_tokens/],
    [{ image_url: 'file:///etc/passwd' }, 'image_url', /not allowed/],
  ])('refuses %j with an OpenAI-shaped 400', async (payload, param, message) => {
    const test = setup();
    const response = await test.app.inject({ method: 'POST', url: URL, payload });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    assertOpenAiShape('ErrorResponse', body);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(body.error.message).toMatch(message);
    expect(test.engine.requests).toHaveLength(0);
  });

  it('requires the API key when the server has one', async () => {
    const test = setup({ argv: ['--api-key', 'secret'] });
    const refused = await test.app.inject({ method: 'POST', url: URL, payload: { image_url: PNG_DATA_URL } });
    expect(refused.statusCode).toBe(401);
    assertOpenAiShape('ErrorResponse', refused.json());
    const form = multipartForm([{ name: 'file', value: PNG_BYTES, filename: 'a.png' }]);
    expect(
      (await test.app.inject({ method: 'POST', url: URL, payload: form.payload, headers: form.headers })).statusCode,
    ).toBe(401);
    const accepted = await test.app.inject({
      method: 'POST',
      url: URL,
      payload: { image_url: PNG_DATA_URL },
      headers: { authorization: 'Bearer secret' },
    });
    expect(accepted.statusCode).toBe(200);
  });

  it('passes engine and media failures on as their status', async () => {
    const test = setup();
    const notImage = `data:image/png;base64,${Buffer.from('plain text, not a picture').toString('base64')}`;
    const unsupported = await test.app.inject({ method: 'POST', url: URL, payload: { image_url: notImage } });
    expect(unsupported.statusCode).toBe(415);
    expect(unsupported.json().error.code).toBe('unsupported_format');
    expect(
      (await test.app.inject({ method: 'POST', url: URL, payload: { image_url: PNG_DATA_URL, model: 'gpt-4o' } }))
        .statusCode,
    ).toBe(404);
    test.engine.overloadedRetryAfterSeconds = 3;
    const overloaded = await test.app.inject({ method: 'POST', url: URL, payload: { image_url: PNG_DATA_URL } });
    expect(overloaded.statusCode).toBe(503);
    expect(overloaded.headers['retry-after']).toBe('3');
  });
});

describe('multipart uploads', () => {
  it('tells the kind from the bytes, reads the option fields, and removes the file afterwards', async () => {
    const test = setup();
    const form = multipartForm([
      { name: 'dimensions', value: 'shot_size, LC' },
      { name: 'file', value: PNG_BYTES, filename: 'misleading-name.mp4', contentType: 'video/mp4' },
      { name: 'dimensions', value: 'composition' },
      { name: 'prompt', value: 'A lighthouse at dusk' },
      { name: 'max_pixels', value: '40000' },
      { name: 'fps', value: '2' },
    ]);
    const response = await test.app.inject({ method: 'POST', url: URL, payload: form.payload, headers: form.headers });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    assertDocumented(body);
    expect(body.media.kind).toBe('image');
    expect(Object.keys(body.dimensions)).toEqual(['shot_size', 'lighting_condition', 'composition']);
    expect(body.enriched_prompt).toMatch(/^A lighthouse at dusk\. Close-up, backlit, balanced composition\.$/);
    const part = (test.engine.requests[0]!.messages[1]!.content as MediaItem[])[0]!;
    // fps applies to videos only: dropped for this still.
    expect(part).toMatchObject({ type: 'image', source: { kind: 'file' }, options: { maxPixels: 40_000 } });
    expect(part.options).not.toHaveProperty('fps');
    const path = (part.source as { path: string }).path;
    expect(path.endsWith('/upload')).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('accepts a clip as a video', async () => {
    const test = setup();
    const clip = Buffer.concat([mp4Header(), Buffer.alloc(4096)]);
    const form = multipartForm([{ name: 'file', value: clip, filename: 'shot.jpg', contentType: 'image/jpeg' }]);
    const body = (
      await test.app.inject({ method: 'POST', url: URL, payload: form.payload, headers: form.headers })
    ).json();
    expect(body.media.kind).toBe('video');
    expect(Object.keys(body.dimensions)).toHaveLength(8);
  });

  it.each([
    [
      'an oversized file',
      [{ name: 'file', value: Buffer.concat([mp4Header(), Buffer.alloc(8192)]), filename: 'big.mp4' }],
      413,
      'media_too_large',
      'file',
    ],
    [
      'an empty file',
      [{ name: 'file', value: Buffer.alloc(0), filename: 'empty.jpg' }],
      400,
      'invalid_request',
      'file',
    ],
    [
      'a file that is no media',
      [{ name: 'file', value: Buffer.from('#!/bin/sh\necho not an image\n'.repeat(40)), filename: 'shot.png' }],
      415,
      'unsupported_format',
      'file',
    ],
    ['no file', [{ name: 'mode', value: 'fast' }], 400, 'invalid_request', 'file'],
    [
      'two files',
      [
        { name: 'file', value: PNG_BYTES, filename: 'a.png' },
        { name: 'file', value: PNG_BYTES, filename: 'b.png' },
      ],
      400,
      'invalid_request',
      'file',
    ],
    [
      'a file under another name',
      [{ name: 'image', value: PNG_BYTES, filename: 'a.png' }],
      400,
      'invalid_request',
      'image',
    ],
    [
      'a number field that is not a number',
      [
        { name: 'file', value: PNG_BYTES, filename: 'a.png' },
        { name: 'fps', value: 'twelve' },
      ],
      400,
      'invalid_request',
      'fps',
    ],
    [
      'an unknown field',
      [
        { name: 'file', value: PNG_BYTES, filename: 'a.png' },
        { name: 'temperature', value: '1' },
      ],
      400,
      'invalid_request',
      'temperature',
    ],
    [
      'a field given twice',
      [
        { name: 'file', value: PNG_BYTES, filename: 'a.png' },
        { name: 'mode', value: 'fast' },
        { name: 'mode', value: 'reasoning' },
      ],
      400,
      'invalid_request',
      'mode',
    ],
    [
      'an oversized field',
      [
        { name: 'prompt', value: 'x'.repeat(70_000) },
        { name: 'file', value: PNG_BYTES, filename: 'a.png' },
      ],
      400,
      'invalid_request',
      'prompt',
    ],
  ])('refuses %s with an OpenAI-shaped error', async (_name, parts, status, code, param) => {
    const test = setup({ argv: ['--media-max-bytes', '4096'] });
    const before = uploadTemporaryFolders();
    const form = multipartForm(parts);
    const response = await test.app.inject({ method: 'POST', url: URL, payload: form.payload, headers: form.headers });
    expect(response.statusCode).toBe(status);
    const body = response.json();
    assertOpenAiShape('ErrorResponse', body);
    expect(body.error).toMatchObject({ code, param });
    expect(test.engine.requests).toHaveLength(0);
    expect(uploadTemporaryFolders().filter((name) => !before.includes(name))).toEqual([]);
  });

  it('leaves forms to this route: chat completions still refuse them with 415', async () => {
    const test = setup();
    const form = multipartForm([{ name: 'file', value: PNG_BYTES, filename: 'a.png' }]);
    const response = await test.app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: form.payload,
      headers: form.headers,
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe('unsupported_content_type');
  });
});
