// Issue 17 "Must show": /tokenize goes through the engine's admission and abort path. On the real
// tiny engine with a queue of one: while one generation runs and another waits, /tokenize answers
// 503 with Retry-After (it used to run regardless); and a client that hangs up during /tokenize of
// a video stops its ffmpeg within a second (it used to run to the end for nobody).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationEvent } from '../../src/runtime/engine/engine-api.js';
import type { InferenceEngine } from '../../src/runtime/engine/inference-engine.js';
import {
  createMediaPreprocessor,
  type ClosableMediaPreprocessor,
} from '../../src/runtime/engine/media-preprocessor.js';
import { startServer, stopServer, type RunningServer } from '../../src/server/lifecycle.js';
import { MediaLoader } from '../../src/server/media/media-loader.js';
import { greedySampling } from '../helpers/greedy-sampling.js';
import { tinyEngine } from '../helpers/test-engine.js';
import { capturingLogger } from '../server/log-capture.js';
import { testConfig } from '../server/test-app.js';
import { makeTestVideo } from '../helpers/test-video.js';

let engine: InferenceEngine;
let dispose: () => Promise<void>;
let preprocessor: ClosableMediaPreprocessor;
let loader: MediaLoader;
let server: RunningServer;
let folder = '';
const LOG = capturingLogger('info');

beforeAll(async () => {
  preprocessor = createMediaPreprocessor();
  ({ engine, dispose } = await tinyEngine({
    mediaPreprocessor: preprocessor,
    limits: { maxRunningSequences: 1, maxTokensPerStep: 64, maxWaitingSequences: 1 },
  }));
  loader = new MediaLoader();
  server = await startServer({
    engine,
    config: testConfig(['--host', '127.0.0.1', '--port', '0']),
    logger: LOG.logger,
    mediaResolver: loader,
  });
  folder = mkdtempSync(join(tmpdir(), 'shotvl-tokenize-'));
});

afterAll(async () => {
  await stopServer(server, 500);
  await dispose?.();
  await loader?.close();
  await preprocessor?.close();
  rmSync(folder, { recursive: true, force: true });
});

function generation(words: string, signal: AbortSignal): AsyncIterable<GenerationEvent> {
  return engine.generate({
    requestId: words,
    signal,
    messages: [{ role: 'user', content: words }],
    sampling: greedySampling(400),
  });
}

async function drain(events: AsyncIterable<GenerationEvent>): Promise<void> {
  try {
    for await (const event of events) void event;
  } catch {
    // aborted at the end of the test
  }
}

/**
 * ffmpeg and ffprobe processes that are children of this process (the media worker runs in it);
 * `decodersOnly`: ffmpeg alone, the decode that follows the probe.
 */
function ffmpegChildren(decodersOnly = false): number[] {
  const name = decodersOnly ? '^ffmpeg$' : '^ff(mpeg|probe)$';
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), name], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('/tokenize admission and abort on tiny-a', () => {
  it('answers 503 with Retry-After while the queue is full', async () => {
    const controller = new AbortController();
    const running = drain(generation('The first question, at length.', controller.signal));
    for (let waited = 0; engine.stats().running < 1 && waited < 5000; waited += 20) await sleep(20);
    const waiting = drain(generation('The second question, at length.', controller.signal));
    for (let waited = 0; engine.stats().waiting < 1 && waited < 5000; waited += 20) await sleep(20);
    expect(engine.stats().waiting).toBeGreaterThanOrEqual(1);
    const response = await fetch(`${server.url}/tokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'How many tokens?' }),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('overloaded');
    controller.abort();
    await Promise.all([running, waiting]);
    // The same call is answered once the queue has room.
    const again = await fetch(`${server.url}/tokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'How many tokens?' }),
    });
    expect(again.status).toBe(200);
  });

  it('names the media part at fault in errors raised while the engine prepares it', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const truncated = `data:image/png;base64,${png.subarray(0, 60).toString('base64')}`;
    const messages = [
      { role: 'system', content: 'You are a cinematographer.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Shot size?' },
          { type: 'image_url', image_url: { url: truncated } },
        ],
      },
    ];
    for (const [path, body] of [
      ['/v1/chat/completions', { messages, max_tokens: 2 }],
      ['/tokenize', { messages }],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(response.status, path).toBe(422);
      const { error } = (await response.json()) as { error: { code: string; param: string | null } };
      expect(error).toMatchObject({ code: 'corrupt_media', param: 'messages[1].content[1].image_url' });
    }
  });

  it('stops its ffmpeg when the client hangs up', async () => {
    // 15 s: long enough to decode for a while, short enough to fit the context (180 frames at 12 fps,
    // 23,760 tokens), so the probe admits it and the decode runs (a longer clip is refused from its
    // metadata with a 400 before any decoding, racing the hang-up).
    const video = join(folder, 'long.mp4');
    makeTestVideo(video, {
      source: 'testsrc2',
      size: '640x360',
      seconds: 15,
      rate: 30,
      encoder: ['-c:v', 'libx264', '-preset', 'ultrafast'],
    });
    const dataUrl = `data:video/mp4;base64,${readFileSync(video).toString('base64')}`;
    const body = JSON.stringify({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'video_url', video_url: { url: dataUrl } },
            { type: 'text', text: 'Movement?' },
          ],
        },
      ],
    });
    const request = httpRequest({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: '/tokenize',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    request.on('error', () => undefined);
    let answered = '';
    request.on('response', (response) => {
      response.on('data', (chunk: Buffer) => (answered += chunk.toString('utf8')));
    });
    request.end(body);
    let running: number[] = [];
    for (
      let started = performance.now();
      running.length === 0 && answered === '' && performance.now() - started < 20_000;
    ) {
      await sleep(20);
      running = ffmpegChildren(true);
    }
    if (answered !== '') console.log(LOG.text());
    expect(answered).toBe('');
    expect(running.length).toBeGreaterThan(0);
    const loggedBefore = LOG.lines.length;
    const hungUp = performance.now();
    request.destroy();
    // What shows that the hang-up stopped the decode (rather than the decode ending by itself) is the
    // request's own end: its media work was aborted (media_aborted, logged as the client going away).
    // The wait for ffmpeg to be gone is generous on purpose: a loaded machine delays the kill's
    // reaping, not whether it happens. Usually well under a second (printed).
    const aborted = () =>
      LOG.lines.slice(loggedBefore).some((line) => line.code === 'media_aborted' && line.status === 499);
    while ((ffmpegChildren().length > 0 || !aborted()) && performance.now() - hungUp < 10_000) await sleep(20);
    console.log(`ffmpeg gone ${(performance.now() - hungUp).toFixed(0)} ms after the client hung up`);
    expect(aborted()).toBe(true);
    expect(ffmpegChildren()).toEqual([]);
  });
});
