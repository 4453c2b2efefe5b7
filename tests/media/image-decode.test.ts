import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { deflateSync } from 'node:zlib';
import { decodeImage, toRgb } from '../../src/media/image-decode.js';
import { sniffImageFormat } from '../../src/media/image-format.js';
import { tiffOpensAsRgba } from '../../src/media/pillow-alpha.js';
import {
  CorruptMediaError,
  MediaAbortedError,
  MediaError,
  MediaTooLargeError,
  UnsupportedAspectRatioError,
  UnsupportedFormatError,
} from '../../src/media/media-errors.js';
import { mergeMediaLimits } from '../../src/media/media-limits.js';

function solid(
  width: number,
  height: number,
  colour: { r: number; g: number; b: number; alpha?: number },
  channels: 3 | 4 = 3,
) {
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

/**
 * A PNG written byte by byte: IHDR with `bitDepth` and `colourType`, optional tRNS, one IDAT holding
 * `rows` (each row's samples, big-endian for 16 bits, filter type 0 prepended here).
 */
function craftPng(
  width: number,
  bitDepth: 8 | 16,
  colourType: 0 | 2 | 4 | 6,
  rows: number[][],
  transparency?: number[],
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(rows.length, 4);
  header.set([bitDepth, colourType, 0, 0, 0], 8);
  const bytesPerSample = bitDepth / 8;
  const raw = Buffer.concat(
    rows.map((row) => {
      const line = Buffer.alloc(1 + row.length * bytesPerSample);
      row.forEach((sample, index) =>
        bitDepth === 16 ? line.writeUInt16BE(sample, 1 + index * 2) : line.writeUInt8(sample, 1 + index),
      );
      return line;
    }),
  );
  const trns =
    transparency === undefined
      ? []
      : [pngChunk('tRNS', Buffer.from(transparency.flatMap((value) => [value >> 8, value & 0xff])))];
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    ...trns,
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A copy of a little-endian TIFF with the first value of its ExtraSamples tag (338) replaced. */
function setTiffExtraSamples(tiff: Buffer, value: number): Buffer {
  const copy = Buffer.from(tiff);
  const ifd = copy.readUInt32LE(4);
  for (let index = 0; index < copy.readUInt16LE(ifd); index += 1) {
    const entry = ifd + 2 + index * 12;
    if (copy.readUInt16LE(entry) === 338) {
      copy.writeUInt16LE(value, entry + 8);
      return copy;
    }
  }
  throw new Error('no ExtraSamples tag');
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
    const jpeg = await sharp(noise, { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
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
    // Generous on purpose (a loaded machine): decoding 2.5 G pixels would take minutes and 7.5 GB.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses an aspect ratio above 200', async () => {
    const strip = await solid(201, 1, { r: 0, g: 0, b: 0 }).png().toBuffer();
    const error = await rejection(decodeImage(strip));
    expect(error).toBeInstanceOf(UnsupportedAspectRatioError);
    expect(error.code).toBe('unsupported_aspect_ratio');
    await expect(decodeImage(await solid(200, 1, { r: 0, g: 0, b: 0 }).png().toBuffer())).resolves.toMatchObject({
      width: 200,
    });
  });

  it('refuses more bytes than the limit', async () => {
    const png = await solid(64, 64, { r: 1, g: 2, b: 3 }).png().toBuffer();
    const error = await rejection(decodeImage(png, { limits: mergeMediaLimits({ maxInputBytes: png.length - 1 }) }));
    expect(error).toBeInstanceOf(MediaTooLargeError);
    await expect(decodeImage(png, { limits: mergeMediaLimits({ maxInputBytes: png.length }) })).resolves.toMatchObject({
      width: 64,
    });
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
    const png = await solid(4, 2, { r: 200, g: 100, b: 50, alpha: 128 / 255 }, 4)
      .png()
      .toBuffer();
    const image = await decodeImage(png);
    expect(image.alpha).toBe('flattened-on-white');
    // DIV255(255·(255−128) + v·128) for v = 200, 100, 50.
    expect(Array.from(image.pixels.subarray(0, 3))).toEqual([227, 177, 152]);
    expect(image.pixels.length).toBe(4 * 2 * 3);
  });

  it('drops alpha for palette images, as PIL convert("RGB") does for mode P', async () => {
    const png = await solid(4, 2, { r: 200, g: 100, b: 50, alpha: 128 / 255 }, 4)
      .png({ palette: true })
      .toBuffer();
    const image = await decodeImage(png);
    expect(image.alpha).toBe('dropped');
    expect(Array.from(image.pixels.subarray(0, 3))).toEqual([200, 100, 50]);
  });

  // PIL opens these as "RGB" / "L" with the tRNS colour in `info`; to_rgb's convert("RGB") ignores it.
  it('keeps the colours of a truecolour PNG with a tRNS chunk (PIL mode RGB, not RGBA)', async () => {
    const png = craftPng(2, 8, 2, [[10, 20, 30, 200, 100, 50]], [10, 20, 30]);
    expect(await sharp(png).metadata()).toMatchObject({ hasAlpha: true, channels: 4 });
    const image = await decodeImage(png);
    expect(image.alpha).toBe('dropped');
    expect(Array.from(image.pixels)).toEqual([10, 20, 30, 200, 100, 50]);
  });

  it('keeps the grey of a greyscale PNG with a tRNS chunk (PIL mode L)', async () => {
    const png = craftPng(2, 8, 0, [[10, 200]], [10]);
    expect((await sharp(png).metadata()).hasAlpha).toBe(true);
    const image = await decodeImage(png);
    expect(image.alpha).toBe('dropped');
    expect(Array.from(image.pixels)).toEqual([10, 10, 10, 200, 200, 200]);
  });

  it('keeps a 16-bit truecolour PNG with tRNS as RGB, taking the high byte of each sample as PIL does', async () => {
    const png = craftPng(1, 16, 2, [[0x0aff, 0x1400, 0x1e80]], [0x0aff, 0x1400, 0x1e80]);
    const image = await decodeImage(png);
    expect(image.alpha).toBe('dropped');
    expect(Array.from(image.pixels)).toEqual([10, 20, 30]);
  });

  it('drops the alpha of an 8-bit grey+alpha PNG (PIL mode LA, converted to RGB)', async () => {
    const png = craftPng(2, 8, 4, [[100, 0, 50, 128]]);
    const image = await decodeImage(png);
    expect(image.alpha).toBe('dropped');
    expect(Array.from(image.pixels)).toEqual([100, 100, 100, 50, 50, 50]);
  });

  it('pastes a 16-bit grey+alpha PNG on white: PIL opens it as RGBA ("LA;16B")', async () => {
    // High bytes L = 0x80, A = 0x80: DIV255(255·127 + 128·128) = 191.
    const png = craftPng(1, 16, 4, [[0x80ff, 0x8000]]);
    const image = await decodeImage(png);
    expect(image.alpha).toBe('flattened-on-white');
    expect(Array.from(image.pixels)).toEqual([191, 191, 191]);
  });

  it('pastes 8- and 16-bit RGBA PNGs on white', async () => {
    const rgba8 = await decodeImage(craftPng(1, 8, 6, [[200, 100, 50, 128]]));
    expect(rgba8.alpha).toBe('flattened-on-white');
    expect(Array.from(rgba8.pixels)).toEqual([227, 177, 152]);
    const rgba16 = await decodeImage(craftPng(1, 16, 6, [[0xc8ff, 0x6400, 0x3280, 0x80ff]]));
    expect(rgba16.alpha).toBe('flattened-on-white');
    expect(Array.from(rgba16.pixels)).toEqual([227, 177, 152]);
  });

  it('pastes RGBA TIFF and WebP on white (PIL mode RGBA), but not RGBX or grey+alpha TIFF', async () => {
    const rgba = Buffer.from([200, 100, 50, 128, 200, 100, 50, 128]);
    const tiff = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
      .tiff({ compression: 'none' })
      .toBuffer();
    expect(tiffOpensAsRgba(tiff)).toBe(true);
    expect(await decodeImage(tiff)).toMatchObject({ alpha: 'flattened-on-white', format: 'tiff' });
    expect(Array.from((await decodeImage(tiff)).pixels.subarray(0, 3))).toEqual([227, 177, 152]);
    // ExtraSamples = 0 (unspecified): PIL opens "RGBX" and convert("RGB") drops the fourth band.
    const rgbx = setTiffExtraSamples(tiff, 0);
    expect(tiffOpensAsRgba(rgbx)).toBe(false);
    expect(await decodeImage(rgbx)).toMatchObject({ alpha: 'dropped' });
    expect(Array.from((await decodeImage(rgbx)).pixels.subarray(0, 3))).toEqual([200, 100, 50]);
    const greyAlpha = await sharp(Buffer.from([100, 128]), { raw: { width: 1, height: 1, channels: 2 } })
      .toColourspace('b-w')
      .tiff({ compression: 'none' })
      .toBuffer();
    expect(await decodeImage(greyAlpha)).toMatchObject({ alpha: 'dropped' });
    expect(Array.from((await decodeImage(greyAlpha)).pixels)).toEqual([100, 100, 100]);
    const webp = await solid(2, 2, { r: 200, g: 100, b: 50, alpha: 128 / 255 }, 4)
      .webp({ lossless: true })
      .toBuffer();
    expect(await decodeImage(webp)).toMatchObject({ alpha: 'flattened-on-white', format: 'webp' });
    expect(Array.from((await decodeImage(webp)).pixels.subarray(0, 3))).toEqual([227, 177, 152]);
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
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
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
