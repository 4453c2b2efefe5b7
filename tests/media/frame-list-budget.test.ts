// Issue 17 "Must show": a frame-list video's cost is bounded before any frame is decoded. 40 PNG
// frames of 6000×6000 (a flat colour: small files, 4 GiB once decoded as RGB; they used to be
// decoded all at full size before the first resize) are refused from their headers alone, in a
// fraction of a second and without the memory of even one decoded frame. Frames within the budget
// are decoded and resized one at a time, with the same result as before.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MediaTooLargeError } from '../../src/media/media-errors.js';
import { DEFAULT_MEDIA_LIMITS, mergeMediaLimits } from '../../src/media/media-limits.js';
import { preprocessVideoFrames } from '../../src/media/video-preprocess.js';

async function flatPng(width: number, height: number, shade = 120): Promise<Uint8Array> {
  const png = await sharp({ create: { width, height, channels: 3, background: { r: shade, g: 60, b: 30 } } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return new Uint8Array(png);
}

describe('frame-list budget', () => {
  it('refuses 40 frames of 6000x6000 from their headers, before decoding any', async () => {
    const frame = await flatPng(6000, 6000);
    expect(frame.length).toBeLessThan(1024 * 1024);
    const frames = Array.from({ length: 40 }, () => frame);
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    // The frame limit alone refuses 6000x6000 (36 Mpx > 8K UHD)...
    await expect(preprocessVideoFrames(frames, { fps: 2 })).rejects.toThrow(MediaTooLargeError);
    // ...and with it raised, the frame-list budget refuses the 1.44 G pixels of all 40 together.
    const raised = mergeMediaLimits({ maxVideoFramePixels: 6000 * 6000 });
    const error = await preprocessVideoFrames(frames, { fps: 2 }, { limits: raised }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MediaTooLargeError);
    expect((error as Error).message).toMatch(/40 frames hold 1440000000 pixels together; the limit is 176947200/);
    const elapsed = performance.now() - started;
    const grown = process.memoryUsage().rss - rssBefore;
    console.log(`refused in ${elapsed.toFixed(0)} ms, RSS +${(grown / 2 ** 20).toFixed(0)} MiB`);
    // One decoded frame would be 103 MiB of RGB; nothing close to it was allocated.
    expect(grown).toBeLessThan(64 * 2 ** 20);
    expect(DEFAULT_MEDIA_LIMITS.maxFrameListPixels).toBe(768 * 360 * 640);
  });

  it('decodes and resizes frames within the budget one by one', async () => {
    const frames = await Promise.all([0, 1, 2].map((index) => flatPng(640, 360, 40 * index)));
    const video = await preprocessVideoFrames(frames, { fps: 2 });
    expect(video.frameIndices).toEqual([0, 1, 2]);
    expect(video.gridThw[0]).toBe(2);
    expect(video.pixelValues.length).toBe(video.gridThw[0] * video.gridThw[1] * video.gridThw[2] * 1176);
    const mixed = [...frames, await flatPng(360, 640)];
    await expect(preprocessVideoFrames(mixed, { fps: 2 })).rejects.toThrow(/same size/);
  });
});
