import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage } from '../../src/media/image-preprocess.js';
import {
  CorruptMediaError,
  InvalidMediaOptionsError,
  MediaAbortedError,
  MediaTooLargeError,
} from '../../src/media/media-errors.js';
import { mergeMediaLimits } from '../../src/media/media-limits.js';
import {
  canonicalJson,
  mediaContentHash,
  preprocessMedia,
  resolveMediaSettings,
  type MediaItem,
} from '../../src/media/preprocess-media.js';
import { preprocessVideoFile } from '../../src/media/video-preprocess.js';
import { processorFile, readProcessorMeta } from './golden.js';
import { ffmpeg } from './video-fixtures.js';

const meta = readProcessorMeta();
const image640 = readFileSync(processorFile('images/img_640x360.png'));
let folder: string;
let clipPath: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'shotvl-preprocess-media-'));
  clipPath = join(folder, 'clip.mp4');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x240:rate=25',
    '-t',
    '2',
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    clipPath,
  ]);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length &&
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

describe('preprocessMedia: images', () => {
  it('uses the ShotBench image settings by default and lowers max_pixels on request (golden cases)', async () => {
    for (const key of ['img_640x360/default', 'img_640x360/maxpx_360x640']) {
      const golden = meta.image_cases.find((item) => item.key === key)!;
      const options =
        golden.qwen_vl_utils_ele.max_pixels === undefined
          ? undefined
          : { maxPixels: golden.qwen_vl_utils_ele.max_pixels };
      const result = await preprocessMedia({ type: 'image', source: { kind: 'bytes', bytes: image640 }, options });
      expect(result.gridThw, key).toEqual(golden.image_grid_thw);
      expect([result.resizedHeight, result.resizedWidth]).toEqual(golden.resized_hw);
      expect(result).toMatchObject({ kind: 'image', width: 640, height: 360 });
      expect(result.secondPerGridTs).toBeUndefined();
      const direct = await preprocessImage(image640, { size: { maxPixels: golden.qwen_vl_utils_ele.max_pixels } });
      expect(sameFloats(result.pixelValues, direct.pixelValues)).toBe(true);
      expect(result.pixelValues.byteLength).toBe(result.pixelValues.buffer.byteLength);
    }
  });

  it('gives a file and its bytes the same pixels and hash; mediaContentHash agrees without decoding', async () => {
    const path = join(folder, 'image.png');
    await writeFile(path, image640);
    const fromFile = await preprocessMedia({ type: 'image', source: { kind: 'file', path } });
    const fromBytes = await preprocessMedia({ type: 'image', source: { kind: 'bytes', bytes: image640 } });
    expect(sameFloats(fromFile.pixelValues, fromBytes.pixelValues)).toBe(true);
    expect(fromFile.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(fromFile.contentHash).toBe(fromBytes.contentHash);
    expect(await mediaContentHash({ type: 'image', source: { kind: 'file', path } })).toBe(fromFile.contentHash);
    expect(await mediaContentHash({ type: 'image', source: { kind: 'bytes', bytes: image640 } })).toBe(
      fromFile.contentHash,
    );
  });

  it('changes the hash with the settings and with the bytes, not with how defaults are spelled', async () => {
    const hash = (item: Partial<MediaItem> & { bytes?: Uint8Array }) =>
      mediaContentHash({
        type: 'image',
        source: { kind: 'bytes', bytes: item.bytes ?? image640 },
        options: item.options,
      });
    const base = await hash({});
    expect(await hash({ options: { maxPixels: 16384 * 28 * 28, minPixels: 4 * 28 * 28 } })).toBe(base);
    expect(await hash({ options: { maxPixels: 230400 } })).not.toBe(base);
    const changed = Buffer.from(image640);
    changed.writeUInt8(changed.readUInt8(changed.length - 20) ^ 1, changed.length - 20);
    expect(await hash({ bytes: changed })).not.toBe(base);
  });

  it('refuses options that raise the budget, leave the processor range or do not apply', () => {
    const image = (options: MediaItem['options']): MediaItem => ({
      type: 'image',
      source: { kind: 'bytes', bytes: image640 },
      options,
    });
    expect(() => resolveMediaSettings(image({ maxPixels: 16384 * 28 * 28 + 1 }))).toThrow(InvalidMediaOptionsError);
    expect(() => resolveMediaSettings(image({ maxPixels: 1000 }))).toThrow(InvalidMediaOptionsError);
    expect(() => resolveMediaSettings(image({ maxPixels: 230400.5 }))).toThrow(InvalidMediaOptionsError);
    expect(() => resolveMediaSettings(image({ minPixels: 300000, maxPixels: 230400 }))).toThrow(
      InvalidMediaOptionsError,
    );
    expect(() => resolveMediaSettings(image({ fps: 2 }))).toThrow(/fps applies to videos/);
    expect(() => resolveMediaSettings({ type: 'image', source: { kind: 'frames', frames: [image640] } })).toThrow(
      InvalidMediaOptionsError,
    );
    expect(resolveMediaSettings(image({ minPixels: 230400, maxPixels: 230400 }))).toMatchObject({
      minPixels: 230400,
      maxPixels: 230400,
    });
  });

  it('refuses a max_pixels that would give 0-pixel sides (qwen-vl-utils 0.0.11 crashes there)', async () => {
    const strip = await sharp({ create: { width: 1000, height: 100, channels: 3, background: { r: 9, g: 9, b: 9 } } })
      .png()
      .toBuffer();
    const item: MediaItem = {
      type: 'image',
      source: { kind: 'bytes', bytes: strip },
      options: { maxPixels: 4 * 28 * 28 },
    };
    await expect(preprocessMedia(item)).rejects.toThrow(/max_pixels 3136 is too small for a 1000x100 image/);
    await expect(preprocessMedia(item)).rejects.toBeInstanceOf(InvalidMediaOptionsError);
  });

  it('applies the byte limit to files before reading them, and honours an aborted signal', async () => {
    const path = join(folder, 'big.png');
    await writeFile(path, image640);
    const limits = mergeMediaLimits({ maxInputBytes: image640.length - 1 });
    await expect(preprocessMedia({ type: 'image', source: { kind: 'file', path } }, { limits })).rejects.toBeInstanceOf(
      MediaTooLargeError,
    );
    await writeFile(join(folder, 'empty.png'), new Uint8Array(0));
    await expect(
      preprocessMedia({ type: 'image', source: { kind: 'file', path: join(folder, 'empty.png') } }),
    ).rejects.toBeInstanceOf(CorruptMediaError);
    const controller = new AbortController();
    controller.abort();
    await expect(
      preprocessMedia({ type: 'image', source: { kind: 'file', path } }, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(MediaAbortedError);
  });
});

describe('preprocessMedia: videos', () => {
  it('samples a file at 12 fps with max_pixels 360x640 by default, like preprocessVideoFile with the ShotBench element', async () => {
    const result = await preprocessMedia({ type: 'video', source: { kind: 'file', path: clipPath } });
    const direct = await preprocessVideoFile(clipPath, { fps: 12, maxPixels: 360 * 640 });
    expect(result).toMatchObject({ kind: 'video', width: 320, height: 240, frames: 24, gridThw: direct.gridThw });
    expect(result.secondPerGridTs).toBeCloseTo(1 / 6, 15);
    expect(result.durationSeconds).toBeCloseTo(2, 5);
    expect(sameFloats(result.pixelValues, direct.pixelValues)).toBe(true);
    const bytes = await readFile(clipPath);
    expect(await mediaContentHash({ type: 'video', source: { kind: 'bytes', bytes } })).toBe(result.contentHash);
    expect(
      await mediaContentHash({ type: 'video', source: { kind: 'file', path: clipPath }, options: { fps: 6 } }),
    ).not.toBe(result.contentHash);
  });

  it('lowers fps on request, never raises it', async () => {
    const result = await preprocessMedia({
      type: 'video',
      source: { kind: 'file', path: clipPath },
      options: { fps: 6 },
    });
    expect(result.frames).toBe(12);
    expect(result.secondPerGridTs).toBeCloseTo(1 / 3, 15);
    const video = (fps: number): MediaItem => ({
      type: 'video',
      source: { kind: 'file', path: clipPath },
      options: { fps },
    });
    expect(() => resolveMediaSettings(video(13))).toThrow(InvalidMediaOptionsError);
    expect(() => resolveMediaSettings(video(0))).toThrow(InvalidMediaOptionsError);
    expect(() => resolveMediaSettings(video(Number.NaN))).toThrow(InvalidMediaOptionsError);
    expect(() =>
      resolveMediaSettings({ type: 'video', source: { kind: 'file', path: clipPath }, options: { maxPixels: 230401 } }),
    ).toThrow(InvalidMediaOptionsError);
  });

  it('takes a frame list like the golden ShotBench clip (golden README §5)', async () => {
    const clip = meta.video_clip;
    const frames = clip.frame_pngs.map((file) => new Uint8Array(readFileSync(processorFile(file))));
    const result = await preprocessMedia({ type: 'video', source: { kind: 'frames', frames } });
    expect(result.gridThw).toEqual(clip.video_grid_thw);
    expect(result.secondPerGridTs).toBe(clip.second_per_grid_ts_shotbench);
    expect(result.frames).toBe(4);
    // Frames are length-prefixed in the hash: moving a byte across a frame boundary changes it.
    const shifted = [
      frames[0]!.subarray(0, 10),
      Buffer.concat([frames[0]!.subarray(10), frames[1]!]),
      ...frames.slice(2),
    ];
    expect(await mediaContentHash({ type: 'video', source: { kind: 'frames', frames: shifted } })).not.toBe(
      result.contentHash,
    );
    // A frame list may state any rate (it only sets second_per_grid_ts).
    expect(resolveMediaSettings({ type: 'video', source: { kind: 'frames', frames }, options: { fps: 24 } }).fps).toBe(
      24,
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys and drops undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: undefined } })).toBe('{"a":{"d":[1,"x"]},"b":1}');
  });
});
