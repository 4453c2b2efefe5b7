// /analyze-shot with segment "auto" on the real engine over the converted tiny model: a generated
// three-shot clip (a hard cut, then a fade through black) comes back as three shots with the right
// boundaries and the eight dimensions each; streaming sends the outline, each shot and the result;
// bad clips get their 4xx and leave no temporary file.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../../../src/runtime/engine/inference-engine.js';
import {
  createMediaPreprocessor,
  type ClosableMediaPreprocessor,
} from '../../../../src/runtime/engine/media-preprocessor.js';
import { buildApp } from '../../../../src/server/app.js';
import { MediaLoader } from '../../../../src/server/media/media-loader.js';
import { analysisVocabulary } from '../../../../src/shot/analysis/analysis-dimensions.js';
import { parseDimensionName } from '../../../../src/shot/analysis/dimension-keys.js';
import { makeShotClip, type KnownBoundary } from '../../../helpers/shot-clips.js';
import { tinyEngine } from '../../../helpers/test-engine.js';
import { testConfig } from '../../test-app.js';

const run = promisify(execFile);

const EIGHT = [
  'shot_size',
  'shot_framing',
  'camera_angle',
  'lens_size',
  'lighting_type',
  'lighting_condition',
  'composition',
  'camera_movement',
];

async function segmentFolders(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith('shotvl-segment-'));
}

/** The route's temporary folders, once the responses (a stream ends after inject returns) are over. */
async function settledSegmentFolders(): Promise<string[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const folders = await segmentFolders();
    if (folders.length === 0) return folders;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return segmentFolders();
}

describe('/analyze-shot segment auto on the tiny model', () => {
  let engine: InferenceEngine;
  let media: ClosableMediaPreprocessor;
  let dispose: () => Promise<void>;
  let app: FastifyInstance;
  let folder: string;
  let clipUrl: string;
  let known: KnownBoundary[];

  beforeAll(async () => {
    media = createMediaPreprocessor();
    ({ engine, dispose } = await tinyEngine({ mediaPreprocessor: media, limits: { maxModelLength: 4096 } }));
    app = buildApp({ engine, config: testConfig(), mediaResolver: new MediaLoader() });
    folder = await mkdtemp(join(tmpdir(), 'shotvl-segtest-'));
    const path = join(folder, 'three.mp4');
    ({ boundaries: known } = await makeShotClip(path, {
      rate: '25',
      width: 64,
      height: 36,
      shots: [
        { source: 'testsrc2', frames: 25 },
        { source: 'noise-blue', frames: 25 },
        { source: 'mandelbrot', frames: 30 },
      ],
      transitions: [
        { type: 'cut', frames: 0 },
        { type: 'fade', frames: 6 },
      ],
    }));
    clipUrl = `data:video/mp4;base64,${(await readFile(path)).toString('base64')}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await dispose?.();
    await media?.close();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('returns three shots with their boundaries and eight dimensions each', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: { video_url: clipUrl, segment: 'auto', max_pixels: 28 * 28 * 8, thumbnails: true },
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.object).toBe('shot.segmentation');
    expect(body.frame_rate).toBe(25);
    expect(body.duration_seconds).toBe(3.2);
    expect(body.clip).toMatchObject({ frames: 80, timecode_rate: 25, drop_frame: false, width: 64, height: 36 });
    expect(body.shots).toHaveLength(3);
    const [cut, fade] = known as [KnownBoundary, KnownBoundary];
    const [first, second, third] = body.shots;
    expect([first.start_frame, first.end_frame, first.transition_in]).toEqual([0, cut.start, null]);
    expect([second.start_frame, second.transition_in]).toEqual([cut.start, 'cut']);
    expect(second.start).toBe(1);
    expect(second.start_timecode).toBe('00:00:01:00');
    expect(third.transition_in).toBe('fade');
    expect(third.start_frame).toBeGreaterThanOrEqual(fade.start);
    expect(third.start_frame).toBeLessThan(fade.end);
    expect(third.end_frame).toBe(80);
    expect(third.analysed_frames.start).toBeGreaterThanOrEqual(fade.end - 1);
    for (const shot of body.shots) {
      expect(shot.analysed_as).toBe('video');
      expect(Object.keys(shot.dimensions)).toEqual(EIGHT);
      for (const [key, dimension] of Object.entries(shot.dimensions) as [string, { label: string }][])
        expect(analysisVocabulary(parseDimensionName(key)!)).toContain(dimension.label);
      expect(shot.usage.requests).toBe(8);
      expect(shot.thumbnail).toMatch(/^data:image\/jpeg;base64,\/9j\//);
      expect(typeof shot.prompt_fragment).toBe('string');
    }
    expect(body.usage.requests).toBe(24);
    // The data URL's temporary file is gone.
    expect(await segmentFolders()).toEqual([]);
  }, 120_000);

  it('streams the outline, each shot, then the whole result', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: {
        video_url: clipUrl,
        segment: 'auto',
        stream: true,
        max_pixels: 28 * 28 * 8,
        dimensions: ['shot_size', 'camera_movement'],
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = response.body
      .split('\n\n')
      .filter((event) => event.startsWith('data: '))
      .map((event) => event.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const parsed = events.slice(0, -1).map((event) => JSON.parse(event) as { object: string; shots?: unknown[] });
    expect(parsed.map((event) => event.object)).toEqual([
      'shot.segmentation.outline',
      'shot.segmentation.shot',
      'shot.segmentation.shot',
      'shot.segmentation.shot',
      'shot.segmentation',
    ]);
    expect(parsed[0]!.shots).toHaveLength(3);
    expect(await settledSegmentFolders()).toEqual([]);
  }, 120_000);

  it('analyses a one-frame shot as a still from its frame, without camera movement', async () => {
    const path = join(folder, 'flash.mp4');
    await makeShotClip(path, {
      rate: '25',
      width: 64,
      height: 36,
      shots: [
        { source: 'testsrc2', frames: 20 },
        { source: 'noise-red', frames: 1 },
        { source: 'smptehdbars', frames: 20 },
      ],
      transitions: [
        { type: 'cut', frames: 0 },
        { type: 'cut', frames: 0 },
      ],
    });
    const response = await app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: {
        video_url: `data:video/mp4;base64,${(await readFile(path)).toString('base64')}`,
        segment: 'auto',
        min_shot_seconds: 0,
        max_pixels: 28 * 28 * 8,
      },
    });
    expect(response.statusCode, response.body).toBe(200);
    const shots = response.json().shots as {
      start_frame: number;
      frames: number;
      analysed_as: string;
      dimensions: object;
      media: { kind: string };
    }[];
    expect(shots.map((shot) => [shot.start_frame, shot.frames, shot.analysed_as])).toEqual([
      [0, 20, 'video'],
      [20, 1, 'still'],
      [21, 20, 'video'],
    ]);
    expect(shots[1]!.media.kind).toBe('image');
    expect(Object.keys(shots[1]!.dimensions)).toEqual(EIGHT.slice(0, 7));
    expect(Object.keys(shots[2]!.dimensions)).toEqual(EIGHT);
  }, 120_000);

  it('refuses a 4-hour clip, a clip of too many shots and a truncated clip with a 4xx', async () => {
    const long = join(folder, 'long.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=gray:s=16x16:r=1/60:d=14400', long]);
    const send = async (path: string, extra: Record<string, unknown> = {}) =>
      app.inject({
        method: 'POST',
        url: '/analyze-shot',
        payload: {
          video_url: `data:video/mp4;base64,${(await readFile(path)).toString('base64')}`,
          segment: 'auto',
          ...extra,
        },
      });
    const tooLong = await send(long);
    expect(tooLong.statusCode).toBe(413);
    expect(tooLong.json().error).toMatchObject({ code: 'media_too_large', type: 'invalid_request_error' });
    expect(tooLong.json().error.message).toMatch(/lasts 14400\.0 s/);

    const tooMany = await send(join(folder, 'three.mp4'), { max_shots: 2 });
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().error.message).toMatch(/has 3 shots; the limit is 2/);

    const bytes = await readFile(join(folder, 'three.mp4'));
    const truncated = join(folder, 'truncated.mp4');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const broken = await send(truncated);
    expect(broken.statusCode).toBe(422);
    expect(broken.json().error.code).toBe('corrupt_media');

    const still = await app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: { video_url: clipUrl, stream: true },
    });
    expect(still.statusCode).toBe(400);
    expect(await settledSegmentFolders()).toEqual([]);
  }, 60_000);
});
