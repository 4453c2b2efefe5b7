import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { deflateSync } from 'node:zlib';
import { decodeImage, toRgb } from '../../src/media/image-decode.js';
import { sniffImageFormat } from '../../src/media/image-format.js';
import {
  CorruptMediaError,
  MediaAbortedError,
  MediaError,
  MediaTooLargeError,
  UnsupportedAspectRatioError,
  UnsupportedFormatError,
} from '../../src/media/media-errors.js';
import { mergeMediaLimits } from '../../src/media/media-limits.js';

function solid(width: number, height: number, colour: { r: number; g: number; b: number; alpha?: number }, channels: 3 | 4 = 3) {
  return sharp({ create: { width, height, channels, background: colour } });
}

/** CRC-32 of PNG chunks (ISO 3309 polynomial), written out so the test does not depend on zlib.crc32. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid-looking PNG whose IHDR declares `width × height` RGB but which carries almost no data. */
function pngDeclaring(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit truecolour, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(16))),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

async function rejection(promise: Promise<unknown>): Promise<MediaError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MediaError);
    return error as MediaError;
  }
  throw new Error('expected a rejection');
}

describe('decodeImage errors', () => {
  it('refuses an empty file', async () => {
    const error = await rejection(decodeImage(new Uint8Array(0)));
    expect(error).toBeInstanceOf(CorruptMediaError);
    expect(error.code).toBe('corrupt_media');
  });

  it('refuses a text file (named .jpg or not) as an unsupported format', async () => {
    const error = await rejection(decodeImage(Buffer.from('hello, this is not a photo\n')));
    expect(error).toBeInstanceOf(UnsupportedFormatError);
    expect(error.code).toBe('unsupported_format');
    expect(error.message).not.toMatch(/vips|sharp/i);
  });

  it('refuses SVG even though libvips could render it', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect((await rejection(decodeImage(svg))).code).toBe('unsupported_format');
  });

  it('refuses a truncated JPEG', async () => {
    const noise = Buffer.alloc(256 * 256 * 3);
    for (let index = 0; index < noise.length; index += 1) noise[index] = (index * 2654435761) >>> 24;
    const jpeg = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    const error = await rejection(decodeImage(jpeg.subarray(0, Math.floor(jpeg.length / 2))));
    expect(error).toBeInstanceOf(CorruptMediaError);
    expect(error.message).not.toMatch(/vips|premature/i);
  });

  it('refuses a PNG declaring 50000x50000 from its header, before decoding', async () => {
    const bomb = pngDeclaring(50_000, 50_000);
    expect(bomb.length).toBeLessThan(200);
    const started = performance.now();
    const error = await rejection(decodeImage(bomb));
    expect(error).toBeInstanceOf(MediaTooLargeError);
    expect(error.message).toContain('50000x50000');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses an aspect ratio above 200', async () => {
    const strip = await solid(201, 1, { r: 0, g: 0, b: 0 }).png().toBuffer();
    const error = await rejection(decodeImage(strip));
    expect(error).toBeInstanceOf(UnsupportedAspectRatioError);
    expect(error.code).toBe('unsupported_aspect_ratio');
    await expect(decodeImage(await solid(200, 1, { r: 0, g: 0, b: 0 }).png().toBuffer())).resolves.toMatchObject({ width: 200 });
  });

  it('refuses more bytes than the limit', async () => {
    const png = await solid(64, 64, { r: 1, g: 2, b: 3 }).png().toBuffer();
    const error = await rejection(decodeImage(png, { limits: mergeMediaLimits({ maxInputBytes: png.length - 1 }) }));
    expect(error).toBeInstanceOf(MediaTooLargeError);
    await expect(decodeImage(png, { limits: mergeMediaLimits({ maxInputBytes: png.length }) })).resolves.toMatchObject({ width: 64 });
  });

  it('refuses a PNG whose signature is right but whose header is garbage', async () => {
    const broken = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 7)]);
    expect((await rejection(decodeImage(broken))).code).toBe('corrupt_media');
  });

  it('stops when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const png = await solid(8, 8, { r: 1, g: 2, b: 3 }).png().toBuffer();
    expect(await rejection(decodeImage(png, { signal: controller.signal }))).toBeInstanceOf(MediaAbortedError);
  });
});

describe('decodeImage colour handling', () => {
  it('pastes RGBA on white with PIL integer blending (qwen-vl-utils to_rgb)', async () => {
    const png = await solid(4, 2, { r: 200, g: 100, b: 50, alpha: 128 / 255 }, 4).png().toBuffer();
    const image = await decodeImage(png);
    expect(image.alpha).toBe('flattened-on-white');
    // DIV255(255·(255−128) + v·128) for v = 200, 100, 50.
    expect(Array.from(image.pixels.subarray(0, 3))).toEqual([227, 177, 152]);
    expect(image.pixels.length).toBe(4 * 2 * 3);
  });

  it('drops alpha for palette images, as PIL convert("RGB") does for mode P', async () => {
    const png = await solid(4, 2, { r: 200, g: 100, b: 50, alpha: 128 / 255 }, 4).png({ palette: true }).toBuffer();
    const image = await decodeImage(png);
    expect(image.alpha).toBe('dropped');
    expect(Array.from(image.pixels.subarray(0, 3))).toEqual([200, 100, 50]);
  });

  it('expands greyscale to RGB', async () => {
    const png = await solid(3, 3, { r: 90, g: 90, b: 90 }).toColourspace('b-w').png().toBuffer();
    const image = await decodeImage(png);
    expect(Array.from(image.pixels.subarray(0, 6))).toEqual([90, 90, 90, 90, 90, 90]);
  });

  it('applies the EXIF orientation unless told not to', async () => {
    const jpeg = await solid(40, 20, { r: 10, g: 20, b: 30 }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await decodeImage(jpeg)).toMatchObject({ width: 20, height: 40, format: 'jpeg' });
    expect(await decodeImage(jpeg, { applyExifOrientation: false })).toMatchObject({ width: 40, height: 20 });
  });

  it('decodes WebP and only the first frame of an animated GIF', async () => {
    const webp = await solid(6, 4, { r: 0, g: 255, b: 0 }).webp({ lossless: true }).toBuffer();
    expect(await decodeImage(webp)).toMatchObject({ width: 6, height: 4, format: 'webp' });
    const frames = await Promise.all([
      solid(8, 6, { r: 255, g: 0, b: 0 }).png().toBuffer(),
      solid(8, 6, { r: 0, g: 0, b: 255 }).png().toBuffer(),
    ]);
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    const image = await decodeImage(gif);
    expect(image).toMatchObject({ width: 8, height: 6, format: 'gif' });
    expect(image.pixels.length).toBe(8 * 6 * 3);
    expect(Array.from(image.pixels.subarray(0, 3))).toEqual([255, 0, 0]);
  });

  it('toRgb blends every channel of a 4-channel buffer', () => {
    const rgba = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255, 10, 20, 30, 255]);
    expect(Array.from(toRgb(rgba, 3, 1, 4, 'flattened-on-white'))).toEqual([255, 255, 255, 0, 0, 0, 10, 20, 30]);
    expect(Array.from(toRgb(rgba, 3, 1, 4, 'dropped'))).toEqual([0, 0, 0, 0, 0, 0, 10, 20, 30]);
  });
});

describe('sniffImageFormat', () => {
  it('recognises the allow-listed signatures only', () => {
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from('GIF89a......'))).toBe('gif');
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(Buffer.from('\0\0\0\x1cftypavif\0\0\0\0avifmif1'))).toBe('avif');
    expect(sniffImageFormat(Buffer.from('\0\0\0\x18ftypheic\0\0\0\0heicmif1'))).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('%PDF-1.7'))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array(0))).toBeUndefined();
  });
});
