import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/media-errors.js';
import { mergeMediaLimits } from '../../src/media/media-limits.js';
import { patchify, VIDEO_NORMALIZATION } from '../../src/media/patchify.js';
import { resizeBicubicAntialias } from '../../src/media/tensor-resize.js';
import { planVideoSampling } from '../../src/media/video-frame-sampling.js';
import {
  preprocessVideoBytes,
  preprocessVideoFile,
  type VideoPreprocessContext,
} from '../../src/media/video-preprocess.js';
import { decodeAllFrames, makeVideoFixtures, processIsGone, type VideoFixtures } from './video-fixtures.js';

const SHOTBENCH = { fps: 12, maxPixels: 360 * 640 };

let fixtures: VideoFixtures;
beforeAll(async () => {
  fixtures = await makeVideoFixtures();
});
afterAll(async () => {
  await fixtures?.remove();
});

/** A context that records every ffmpeg/ffprobe pid it starts. */
function trackedContext(extra: VideoPreprocessContext = {}): VideoPreprocessContext & { pids: number[] } {
  const pids: number[] = [];
  return {
    ...extra,
    pids,
    onProcessSpawn: (pid) => {
      pids.push(pid);
      extra.onProcessSpawn?.(pid);
    },
  };
}

describe('preprocessVideoFile end to end', () => {
  it('samples a 25 fps, 50-frame clip at 12 fps like qwen-vl-utils and patchifies it', async () => {
    const result = await preprocessVideoFile(fixtures.clip, SHOTBENCH);
    // 50 / 25 · 12 = 24 frames; linspace(0, 49, 24) in float32, rounded half to even.
    const expectedIndices = [0, 2, 4, 6, 9, 11, 13, 15, 17, 19, 21, 23, 26, 28, 30, 32, 34, 36, 38, 40, 43, 45, 47, 49];
    expect(result.frameIndices).toEqual(expectedIndices);
    expect(result.sampleFps).toBe(12);
    expect([result.width, result.height, result.totalFrames, result.videoFps, result.rotation]).toEqual([
      320, 240, 50, 25, 0,
    ]);
    expect(result.durationSeconds).toBeCloseTo(2, 5);
    // 240x320 rounds to 252x308 = 77,616 px < VIDEO_MIN_PIXELS (100,352): smart_resize scales up to 280x392.
    expect([result.resizedHeight, result.resizedWidth]).toEqual([280, 392]);
    expect(result.gridThw).toEqual([12, 20, 28]);
    expect(result.pixelValues.length).toBe(12 * 20 * 28 * 1176);
    expect(result.secondPerGridTs).toBeCloseTo(1 / 6, 15);

    // The same pixels as the reference pipeline assembled from a full decode of those frames.
    const all = await decodeAllFrames(fixtures.clip, 320, 240);
    const frames = expectedIndices.map(
      (index) => resizeBicubicAntialias({ data: all[index]!, width: 320, height: 240, channels: 3 }, 392, 280).data,
    );
    const expected = patchify(frames, 280, 392, { normalization: VIDEO_NORMALIZATION });
    expect(Buffer.compare(Buffer.from(result.pixelValues.buffer), Buffer.from(expected.pixelValues.buffer))).toBe(0);
  });

  it('gives second_per_grid_ts 1.0 with the processor default fps and honours nframes', async () => {
    const result = await preprocessVideoFile(fixtures.clip, { nframes: 6 });
    expect(result.frameIndices).toEqual([0, 10, 20, 29, 39, 49]);
    expect(result.gridThw[0]).toBe(3);
    expect(result.secondPerGridTs).toBe(1);
  });

  it('decodes a rotated video upright at the swapped size', async () => {
    const result = await preprocessVideoFile(fixtures.rotated, { fps: 2 });
    expect([result.width, result.height]).toEqual([240, 320]);
    // smart_resize(320, 240) under the video minimum scales up to 392x280, as for an upright source.
    expect([result.resizedHeight, result.resizedWidth]).toEqual([392, 280]);
    expect(planVideoSampling({ fps: 2 }, { totalFrames: 50, videoFps: 25, width: 240, height: 320 }).resized).toEqual({
      height: 392,
      width: 280,
    });
    expect(result.gridThw).toEqual([2, 28, 20]);
  });

  it('counts Matroska frames and accepts the bytes of a video', async () => {
    const fromFile = await preprocessVideoFile(fixtures.matroska, { fps: 2 });
    expect(fromFile.totalFrames).toBe(50);
    expect(fromFile.frameIndices).toEqual([0, 16, 33, 49]);
    const fromBytes = await preprocessVideoBytes(await readFile(fixtures.clip), { fps: 2 });
    expect(fromBytes.frameIndices).toEqual([0, 16, 33, 49]);
    expect(fromBytes.gridThw).toEqual(fromFile.gridThw);
  });
});

describe('bad input: typed errors within seconds, no ffmpeg left running', () => {
  async function expectMediaError(
    run: (context: VideoPreprocessContext) => Promise<unknown>,
    code: string,
    extra: VideoPreprocessContext = {},
  ) {
    const context = trackedContext(extra);
    const started = Date.now();
    const error = await run(context).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).code).toBe(code);
    expect((error as MediaError).message).not.toMatch(/ffmpeg version|moov atom|Invalid data found|@ 0x/);
    // Far within the 120 s ffmpeg timeout: refused from metadata or killed, never left to run out the clock.
    // Generous on purpose (a loaded machine); usually under half a second.
    expect(elapsed).toBeLessThan(10_000);
    for (const pid of context.pids) expect(processIsGone(pid)).toBe(true);
    return { error: error as MediaError, pids: context.pids };
  }

  it('empty file', async () => {
    const { pids } = await expectMediaError(
      (context) => preprocessVideoFile(fixtures.empty, SHOTBENCH, context),
      'corrupt_media',
    );
    expect(pids).toHaveLength(0);
    await expectMediaError((context) => preprocessVideoBytes(new Uint8Array(0), SHOTBENCH, context), 'corrupt_media');
  });

  it('a text file named .mp4', async () => {
    const { pids } = await expectMediaError(
      (context) => preprocessVideoFile(fixtures.textNamedMp4, SHOTBENCH, context),
      'unsupported_format',
    );
    expect(pids).toHaveLength(0);
  });

  it('an audio-only file', async () => {
    const { error } = await expectMediaError(
      (context) => preprocessVideoFile(fixtures.audioOnly, SHOTBENCH, context),
      'unsupported_format',
    );
    expect(error.message).toMatch(/no video stream/);
  });

  it('a truncated MP4 whose index promises more frames than it holds', async () => {
    await expectMediaError((context) => preprocessVideoFile(fixtures.truncated, SHOTBENCH, context), 'corrupt_media');
  });

  it('a truncated MP4 that lost its index', async () => {
    await expectMediaError(
      (context) => preprocessVideoFile(fixtures.truncatedIndex, SHOTBENCH, context),
      'corrupt_media',
    );
  });

  it('an 11-minute video, refused from its metadata before decoding', async () => {
    const { pids, error } = await expectMediaError(
      (context) => preprocessVideoFile(fixtures.long, SHOTBENCH, context),
      'media_too_large',
    );
    expect(pids).toHaveLength(1); // ffprobe only: no decoder was started
    expect(error.message).toMatch(/660\.0 s; the limit is 600 s/);
  });

  it('frame and pixel limits', async () => {
    await expectMediaError((context) => preprocessVideoFile(fixtures.clip, { fps: 25 }, context), 'media_too_large', {
      limits: mergeMediaLimits({ maxVideoFrames: 16 }),
    });
    await expectMediaError((context) => preprocessVideoFile(fixtures.clip, SHOTBENCH, context), 'media_too_large', {
      limits: mergeMediaLimits({ maxVideoFramePixels: 320 * 239 }),
    });
    await expectMediaError((context) => preprocessVideoFile(fixtures.clip, SHOTBENCH, context), 'media_too_large', {
      limits: mergeMediaLimits({ maxInputBytes: 1000 }),
    });
  });

  it('invalid options', async () => {
    await expectMediaError(
      (context) => preprocessVideoFile(fixtures.clip, { fps: 2, nframes: 4 }, context),
      'invalid_media_options',
    );
    await expectMediaError(
      (context) => preprocessVideoFile(fixtures.clip, { nframes: 52 }, context),
      'invalid_media_options',
    );
  });

  it('abort via AbortSignal mid-decode', async () => {
    const controller = new AbortController();
    let spawned = 0;
    const { pids } = await expectMediaError(
      (context) => preprocessVideoFile(fixtures.large, { fps: 25 }, context),
      'media_aborted',
      {
        // A long decode to abort: the clip at 25 fps is over the default token budget, lift it.
        limits: mergeMediaLimits({ maxVideoTokens: 1_000_000 }),
        signal: controller.signal,
        onProcessSpawn: () => {
          // The second process is the decoder (the first is ffprobe): abort while it runs.
          spawned += 1;
          if (spawned === 2) setTimeout(() => controller.abort(), 150);
        },
      },
    );
    expect(pids).toHaveLength(2);
    expect(spawned).toBe(2);
  });

  it('timeout', async () => {
    await expectMediaError((context) => preprocessVideoFile(fixtures.large, { fps: 25 }, context), 'media_timeout', {
      limits: mergeMediaLimits({ ffmpegTimeoutMs: 5 }),
    });
  });

  it('leaves no process that touches the test videos', async () => {
    // pgrep exits with 1 when nothing matches.
    const exitCode = await new Promise<number | null>((resolve) =>
      execFile('pgrep', ['-f', fixtures.folder], (error) => resolve(error ? (error.code as number) : 0)),
    );
    expect(exitCode).toBe(1);
  });
});
