// /analyze-shot on the real engine over the converted tiny model, with real media preprocessing:
// a still gets the 7 frame dimensions, a clip all 8; every distribution covers exactly its
// dimension's vocabulary and sums to 1; labels always come from the vocabulary; the shot is
// encoded once for all questions; reasoning mode returns ShotBench's parsed letter and the text.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../../../src/runtime/engine/inference-engine.js';
import {
  createMediaPreprocessor,
  type ClosableMediaPreprocessor,
} from '../../../../src/runtime/engine/media-preprocessor.js';
import { buildApp } from '../../../../src/server/app.js';
import { MediaLoader } from '../../../../src/server/media/media-loader.js';
import { analysisVocabulary } from '../../../../src/shot/analysis/analysis-dimensions.js';
import { analysisQuestion } from '../../../../src/shot/analysis/analysis-question.js';
import { parseDimensionName } from '../../../../src/shot/analysis/dimension-keys.js';
import { extractAnswerLetter } from '../../../../src/shot/answer-extraction.js';
import { tinyEngine } from '../../../helpers/test-engine.js';
import { testConfig } from '../../test-app.js';
import { multipartForm } from './multipart-form.js';

const run = promisify(execFile);

interface Dimension {
  label: string;
  confidence: number;
  distribution: Record<string, number>;
  letter: string;
  reasoning?: string;
  answer?: { letter: string | null; rule: string | null; text: string; finish_reason: string | null };
  probability_source?: string;
}

function checkDimensions(dimensions: Record<string, Dimension>): void {
  for (const [key, dimension] of Object.entries(dimensions)) {
    const category = parseDimensionName(key)!;
    const vocabulary = analysisVocabulary(category);
    expect(Object.keys(dimension.distribution), key).toEqual([...vocabulary]);
    const total = Object.values(dimension.distribution).reduce((sum, value) => sum + value, 0);
    expect(total, key).toBeCloseTo(1, 6);
    for (const probability of Object.values(dimension.distribution))
      expect(probability >= 0 && probability <= 1).toBe(true);
    expect(vocabulary, key).toContain(dimension.label);
    expect(dimension.confidence).toBe(dimension.distribution[dimension.label]);
    expect(analysisQuestion(category, 'fast').options[dimension.letter]).toBe(dimension.label);
  }
}

describe('/analyze-shot on the tiny model', () => {
  let engine: InferenceEngine;
  let media: ClosableMediaPreprocessor;
  let dispose: () => Promise<void>;
  let app: FastifyInstance;
  let folder: string;
  let imageDataUrl: string;
  let clip: Buffer;

  beforeAll(async () => {
    media = createMediaPreprocessor();
    ({ engine, dispose } = await tinyEngine({ mediaPreprocessor: media, limits: { maxModelLength: 4096 } }));
    app = buildApp({ engine, config: testConfig(), mediaResolver: new MediaLoader() });
    folder = await mkdtemp(join(tmpdir(), 'shotvl-analyze-tiny-'));
    const pixels = Buffer.alloc(96 * 64 * 3);
    for (let index = 0; index < pixels.length; index += 1) pixels[index] = (index * 7) % 256;
    const png = await sharp(pixels, { raw: { width: 96, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    imageDataUrl = `data:image/png;base64,${png.toString('base64')}`;
    const clipPath = join(folder, 'clip.mp4');
    await run('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=64x48:rate=8',
      '-t',
      '1',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      clipPath,
    ]);
    clip = await readFile(clipPath);
  });

  afterAll(async () => {
    await app?.close();
    await dispose?.();
    await media?.close();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('gives a still the 7 frame dimensions, encoding it once for all of them', async () => {
    const before = engine.stats();
    const response = await app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: { image_url: imageDataUrl, prompt: 'A robot waits at a bus stop' },
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(Object.keys(body.dimensions)).toEqual([
      'shot_size',
      'shot_framing',
      'camera_angle',
      'lens_size',
      'lighting_type',
      'lighting_condition',
      'composition',
    ]);
    checkDimensions(body.dimensions);
    expect(body.media).toEqual({
      kind: 'image',
      width: 96,
      height: 64,
      frames: null,
      duration_seconds: null,
      tokens: expect.any(Number),
    });
    expect(body.usage.requests).toBe(7);
    expect(body.enriched_prompt).toBe(
      body.prompt_fragment === ''
        ? 'A robot waits at a bus stop'
        : expect.stringMatching(/^A robot waits at a bus stop\. [A-Z]/),
    );
    const after = engine.stats();
    // Seven look-ups of one shot: one encoder run, six hits (shared in flight or cached).
    expect(after.visionCacheQueries - before.visionCacheQueries).toBe(7);
    expect(after.visionCacheHits - before.visionCacheHits).toBe(6);
  });

  it('gives an uploaded clip all 8 dimensions, camera movement included', async () => {
    const form = multipartForm([
      { name: 'file', value: clip, filename: 'clip.bin' },
      { name: 'fps', value: '4' },
    ]);
    const response = await app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: form.payload,
      headers: form.headers,
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(Object.keys(body.dimensions)).toHaveLength(8);
    expect(Object.keys(body.dimensions.camera_movement.distribution)).toHaveLength(16);
    checkDimensions(body.dimensions);
    expect(body.media).toMatchObject({ kind: 'video', width: 64, height: 48, frames: 4 });
    expect(body.media.duration_seconds).toBeCloseTo(1, 1);
  });

  it("reasoning mode returns the text and the letter parsed by ShotBench's rules", async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: {
        image_url: imageDataUrl,
        mode: 'reasoning',
        dimensions: ['camera_angle', 'lens_size'],
        max_tokens: 12,
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.mode).toBe('reasoning');
    checkDimensions(body.dimensions);
    for (const [key, dimension] of Object.entries(body.dimensions as Record<string, Dimension>)) {
      const { options } = analysisQuestion(parseDimensionName(key)!, 'reasoning');
      expect(typeof dimension.reasoning).toBe('string');
      expect(dimension.answer!.finish_reason).toMatch(/^(stop|length)$/);
      // The random tiny model rarely names a letter; whatever it wrote, the letter is what the rules read.
      const extraction = extractAnswerLetter(dimension.answer!.text, options);
      expect(dimension.answer!.letter).toBe(extraction.decided && extraction.letter !== 'Z' ? extraction.letter : null);
      if (dimension.answer!.letter !== null) expect(dimension.label).toBe(options[dimension.answer!.letter]);
      expect(['answer_token', 'constrained_choice']).toContain(dimension.probability_source);
    }
    expect(body.usage.completion_tokens).toBeGreaterThan(2);
  });
});
