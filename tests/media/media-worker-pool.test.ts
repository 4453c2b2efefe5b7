import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CorruptMediaError,
  InvalidMediaOptionsError,
  MediaAbortedError,
  MediaError,
  MediaNotFoundError,
  UnsupportedFormatError,
} from '../../src/media/media-errors.js';
import { MediaWorkerError, MediaWorkerPool } from '../../src/media/media-worker-pool.js';
import { deserializeError, serializeError } from '../../src/media/media-worker-protocol.js';
import { preprocessMedia, type MediaItem, type PreprocessedMedia } from '../../src/media/preprocess-media.js';
import { processorFile } from './golden.js';
import { ffmpeg, processIsGone } from './video-fixtures.js';

const smallImage: MediaItem = {
  type: 'image',
  source: { kind: 'bytes', bytes: readFileSync(processorFile('images/img_640x360.png')) },
};
const largeImage: MediaItem = {
  type: 'image',
  source: { kind: 'file', path: processorFile('images/img_3000x2000.png') },
};

/** A pool that keeps its workers, so a test can kill one as a crash would. */
class ObservedPool extends MediaWorkerPool {
  readonly workers: Worker[] = [];
  protected override createWorker(): Worker {
    const worker = super.createWorker();
    this.workers.push(worker);
    return worker;
  }
}

let folder: string;
let clipPath: string;
let longClipPath: string;
let pool: ObservedPool;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'shotvl-media-pool-'));
  clipPath = join(folder, 'clip.mp4');
  longClipPath = join(folder, 'long.mp4');
  const x264 = ['-pix_fmt', 'yuv420p', '-c:v', 'libx264'];
  await Promise.all([
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '2', ...x264, '-preset', 'veryfast', clipPath]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x480:rate=25',
      '-t',
      '10',
      ...x264,
      '-preset',
      'ultrafast',
      longClipPath,
    ]),
  ]);
  pool = new ObservedPool({ size: 1 });
  await pool.run(smallImage); // starts the worker (tsx compiles the sources on first use)
});
afterAll(async () => {
  await pool?.close();
  await rm(folder, { recursive: true, force: true });
});

function expectSameResult(actual: PreprocessedMedia, expected: PreprocessedMedia): void {
  const { pixelValues: actualPixels, ...actualRest } = actual;
  const { pixelValues: expectedPixels, ...expectedRest } = expected;
  expect(actualRest).toEqual(expectedRest);
  expect(Buffer.compare(Buffer.from(actualPixels.buffer), Buffer.from(expectedPixels.buffer))).toBe(0);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
}

describe('MediaWorkerPool', () => {
  it('returns what preprocessMedia returns in-process, for an image and a video', async () => {
    expectSameResult(await pool.run(smallImage), await preprocessMedia(smallImage));
    const video: MediaItem = { type: 'video', source: { kind: 'file', path: clipPath } };
    const result = await pool.run(video);
    expectSameResult(result, await preprocessMedia(video));
    // The buffer arrived by transfer: a standalone ArrayBuffer of exactly the pixel values.
    expect(result.pixelValues.buffer.byteLength).toBe(result.pixelValues.byteLength);
  });

  it('keeps the event loop free while a 3000x2000 image is processed', async () => {
    // How busy this thread's event loop was during the job (Node's event-loop utilization: time
    // spent running code over time spent running or waiting). Not a wall-clock gap, which a loaded
    // machine stretches by descheduling the process: a process that waits in epoll stays idle
    // however long it is descheduled. Through the pool the thread only posts and receives the job
    // (a few percent); in-process the same call runs the resample on it (~700 ms, most of the job).
    const before = performance.eventLoopUtilization();
    const result = await pool.run(largeImage);
    const during = performance.eventLoopUtilization(before);
    expect(result.gridThw).toEqual([1, 142, 214]);
    expect(during.utilization).toBeLessThan(0.5);
  });

  it('aborts a video: the caller is released at once and ffmpeg is killed', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const run = pool.run(
      { type: 'video', source: { kind: 'file', path: longClipPath } },
      { signal: controller.signal, onProcessSpawn: (pid) => pids.push(pid) },
    );
    // ffprobe first, then the ffmpeg decoder: abort once the decoder runs.
    expect(await waitFor(() => pids.length >= 2, 10_000)).toBe(true);
    controller.abort();
    // Released at once: rejected before the event loop turns, while ffmpeg may still be running.
    const settledFirst = await Promise.race([
      run.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      new Promise((resolve) => setImmediate(() => resolve('still pending'))),
    ]);
    expect(settledFirst).toBeInstanceOf(MediaAbortedError);
    expect(await waitFor(() => pids.every(processIsGone), 10_000)).toBe(true);
    // The worker is free again.
    expect((await pool.run(smallImage)).kind).toBe('image');
  });

  it('aborts an image at once; a worker still busy after the grace period is replaced', async () => {
    const impatient = new MediaWorkerPool({ size: 1, cancelGraceMs: 1 });
    try {
      await impatient.run(smallImage);
      const controller = new AbortController();
      const run = impatient.run(largeImage, { signal: controller.signal });
      setTimeout(() => controller.abort(), 300);
      await expect(run).rejects.toBeInstanceOf(MediaAbortedError);
      expect(await waitFor(() => impatient.stats().busy === 0, 5000)).toBe(true);
      // 300 ms in, the worker is usually inside the synchronous resample (it cannot read the cancel),
      // so it is terminated; when the abort lands during the asynchronous decode it stops by itself.
      expect(impatient.stats().replacedWorkers).toBeLessThanOrEqual(1);
      expect((await impatient.run(smallImage)).kind).toBe('image');
    } finally {
      await impatient.close();
    }
  });

  it('rejects with the typed MediaError of the worker', async () => {
    const noise = Buffer.alloc(128 * 128 * 3);
    for (let index = 0; index < noise.length; index += 1) noise[index] = (index * 2654435761) >>> 24;
    const jpeg = await sharp(noise, { raw: { width: 128, height: 128, channels: 3 } })
      .jpeg()
      .toBuffer();
    const truncated = join(folder, 'truncated.jpg');
    await writeFile(truncated, jpeg.subarray(0, jpeg.length >> 1));
    const corrupt = await pool
      .run({ type: 'image', source: { kind: 'file', path: truncated } })
      .catch((error: unknown) => error);
    expect(corrupt).toBeInstanceOf(CorruptMediaError);
    expect(corrupt).toBeInstanceOf(MediaError);
    expect((corrupt as MediaError).code).toBe('corrupt_media');
    expect((corrupt as MediaError).message).toBe('The jpeg image data is corrupt or truncated.');
    const text = pool.run({
      type: 'video',
      source: { kind: 'bytes', bytes: Buffer.from('not a video at all, just text') },
    });
    await expect(text).rejects.toBeInstanceOf(UnsupportedFormatError);
    await expect(pool.run({ ...smallImage, options: { maxPixels: 10 } })).rejects.toBeInstanceOf(
      InvalidMediaOptionsError,
    );
    const missing = pool.run({ type: 'image', source: { kind: 'file', path: join(folder, 'missing.png') } });
    await expect(missing).rejects.toBeInstanceOf(MediaNotFoundError);
    await expect(missing).rejects.toThrow(/^The media file does not exist\.$/);
    // Any other error keeps its name, message and stack across the thread boundary.
    const plain = new RangeError('something else went wrong');
    expect(deserializeError(serializeError(plain))).toMatchObject({
      name: 'RangeError',
      message: 'something else went wrong',
      stack: plain.stack,
    });
  });

  it('replaces a worker that dies mid-job and rejects that job with MediaWorkerError', async () => {
    const before = pool.stats().replacedWorkers;
    const run = pool.run(largeImage);
    const worker = pool.workers.at(-1)!;
    setTimeout(() => void worker.terminate(), 100);
    await expect(run).rejects.toBeInstanceOf(MediaWorkerError);
    expect(pool.stats().replacedWorkers).toBe(before + 1);
    expectSameResult(await pool.run(smallImage), await preprocessMedia(smallImage));
    expect(pool.workers.length).toBeGreaterThanOrEqual(2);
  });

  it('queues jobs beyond its size, drops aborted queued jobs, and rejects after close', async () => {
    const second = new AbortController();
    const first = pool.run(smallImage);
    const queued = pool.run(smallImage, { signal: second.signal });
    const third = pool.run(smallImage);
    expect(pool.stats()).toMatchObject({ busy: 1, queued: 2 });
    second.abort();
    await expect(queued).rejects.toBeInstanceOf(MediaAbortedError);
    expect(pool.stats().queued).toBe(1);
    await expect(Promise.all([first, third])).resolves.toHaveLength(2);
    const closing = new MediaWorkerPool();
    await closing.close();
    await expect(closing.run(smallImage)).rejects.toBeInstanceOf(MediaWorkerError);
  });
});
