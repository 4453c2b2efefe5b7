// Untrusted image bytes -> 8-bit RGB pixels, the way qwen-vl-utils' `fetch_image` sees them
// (`PIL.Image.open` then `to_rgb`), with limits enforced before any pixel is decoded.
//
// Order of checks (cheapest first, nothing allocated in proportion to the claimed size):
//   1. byte count; 2. magic bytes against an allow-list (SVG, PDF and other libvips loaders never run);
//   3. header dimensions against the pixel and aspect-ratio limits (decompression bombs are refused
//      here, and sharp's `limitInputPixels` enforces the same bound inside the decoder);
//   4. decode the first frame with a wall-time budget; truncated data is an error.
//
// Colour, matched to the reference where it is defined:
//   * images PIL opens in mode "RGBA" are pasted on white with PIL's integer blend (qwen-vl-utils
//     `to_rgb`); which ones those are is decided per format from the file header (pillow-alpha.ts):
//     e.g. an 8-bit RGBA PNG is, an RGB PNG with a tRNS chunk is not;
//   * other images with transparency (tRNS, palette PNG/GIF, 8-bit grey+alpha) go through PIL's
//     `convert("RGB")`, which drops the transparency — so we drop it too;
//   * embedded ICC profiles are ignored by default, as PIL ignores them (the values the model was
//     evaluated on); CMYK and greyscale are converted to sRGB RGB by libvips.
// Deliberate differences: the EXIF orientation is applied by default (PIL's `open` does not), so a
// phone photo is seen upright; pass `applyExifOrientation: false` for the reference behaviour. PIL's
// `convert("RGB")` clips 16-bit greyscale to min(v, 255) (mostly white) and converts CMYK without a
// profile; libvips scales 16-bit grey to 8 bits and converts CMYK properly. Neither occurs in ShotBench.
import sharp from 'sharp';
import type { Metadata, OutputInfo, Sharp } from 'sharp';
import {
  CorruptMediaError,
  MediaAbortedError,
  MediaError,
  MediaTimeoutError,
  MediaTooLargeError,
  UnsupportedAspectRatioError,
  UnsupportedFormatError,
} from './media-errors.js';
import { DEFAULT_MEDIA_LIMITS } from './media-limits.js';
import type { MediaLimits } from './media-limits.js';
import { sniffImageFormat } from './image-format.js';
import { pillowOpensAsRgba } from './pillow-alpha.js';
import type { ImageFormat } from './image-format.js';

export interface DecodeImageOptions {
  limits?: MediaLimits;
  signal?: AbortSignal;
  /** Rotate/flip by the EXIF Orientation tag (default true; the reference does not). */
  applyExifOrientation?: boolean;
  /** Convert through the embedded ICC profile (default false, as PIL). */
  applyIccProfile?: boolean;
}

export interface DecodedImage {
  /** `height × width × 3` RGB, row-major. */
  pixels: Uint8Array;
  width: number;
  height: number;
  format: ImageFormat;
  /** How transparency was handled: none present, pasted on white, or dropped. */
  alpha: 'none' | 'flattened-on-white' | 'dropped';
}

/** An image's size from its header alone, nothing decoded (budgets checked before any decoding). */
export async function readImageSize(
  bytes: Uint8Array,
  signal?: AbortSignal,
): Promise<{ width: number; height: number; format: ImageFormat }> {
  throwIfAborted(signal);
  if (bytes.length === 0) throw new CorruptMediaError('The image is empty (0 bytes).');
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    throw new UnsupportedFormatError('The data is not a supported image format (JPEG, PNG, WebP, GIF, TIFF or AVIF).');
  }
  const metadata = await withSignal(readMetadata(bytes, format), signal);
  const width = metadata.width;
  const height = metadata.pageHeight ?? metadata.height;
  if (!(width > 0) || !(height > 0)) throw new CorruptMediaError(`The ${format} header has no valid image size.`);
  return { width, height, format };
}

export async function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): Promise<DecodedImage> {
  const limits = options.limits ?? DEFAULT_MEDIA_LIMITS;
  throwIfAborted(options.signal);
  if (bytes.length === 0) throw new CorruptMediaError('The image is empty (0 bytes).');
  if (bytes.length > limits.maxInputBytes) {
    throw new MediaTooLargeError(`The image is ${bytes.length} bytes; the limit is ${limits.maxInputBytes} bytes.`);
  }
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    throw new UnsupportedFormatError('The data is not a supported image format (JPEG, PNG, WebP, GIF, TIFF or AVIF).');
  }

  const metadata = await withSignal(readMetadata(bytes, format), options.signal);
  const width = metadata.width;
  const height = metadata.pageHeight ?? metadata.height;
  if (!(width > 0) || !(height > 0)) throw new CorruptMediaError(`The ${format} header has no valid image size.`);
  if (width * height > limits.maxImagePixels) {
    throw new MediaTooLargeError(
      `The image is ${width}x${height} pixels; the limit is ${limits.maxImagePixels} pixels.`,
    );
  }
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > limits.maxAspectRatio) {
    throw new UnsupportedAspectRatioError(
      `The image aspect ratio ${ratio.toFixed(1)} (${width}x${height}) exceeds ${limits.maxAspectRatio}.`,
    );
  }

  const pipeline = sharp(bytes, {
    limitInputPixels: limits.maxImagePixels,
    failOn: 'truncated',
    pages: 1,
    page: 0,
    autoOrient: options.applyExifOrientation ?? true,
    ignoreIcc: !(options.applyIccProfile ?? false),
  })
    .toColourspace('srgb')
    .timeout({ seconds: Math.max(1, Math.ceil(limits.imageTimeoutMs / 1000)) })
    .raw();
  const { data, info } = await withSignal(render(pipeline, format), options.signal);
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const alphaMode = !metadata.hasAlpha
    ? 'none'
    : pillowOpensAsRgba(bytes, format, metadata)
      ? 'flattened-on-white'
      : 'dropped';
  return {
    pixels: toRgb(pixels, info.width, info.height, info.channels, alphaMode),
    width: info.width,
    height: info.height,
    format,
    alpha: info.channels === 4 || info.channels === 2 ? alphaMode : 'none',
  };
}

/**
 * Interleaved 1–4 channel sRGB -> RGB. Alpha is either blended on white with PIL's `paste` arithmetic
 * (`BLEND(a, 255, v) = DIV255(255·(255 − a) + v·a)`, DIV255(x) = ((x + 128) >> 8 + x + 128) >> 8),
 * or dropped.
 */
export function toRgb(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: number,
  alpha: 'none' | 'flattened-on-white' | 'dropped',
): Uint8Array {
  if (channels === 3) return pixels;
  const count = width * height;
  const rgb = new Uint8Array(count * 3);
  const colourChannels = channels >= 3 ? 3 : 1;
  const hasAlpha = channels === 4 || channels === 2;
  for (let index = 0; index < count; index += 1) {
    const source = index * channels;
    const opacity = hasAlpha ? (pixels[source + channels - 1] as number) : 255;
    for (let channel = 0; channel < 3; channel += 1) {
      const value = pixels[source + (colourChannels === 3 ? channel : 0)] as number;
      if (alpha === 'flattened-on-white' && hasAlpha) {
        const blended = 255 * (255 - opacity) + value * opacity + 128;
        rgb[index * 3 + channel] = ((blended >> 8) + blended) >> 8;
      } else {
        rgb[index * 3 + channel] = value;
      }
    }
  }
  return rgb;
}

async function readMetadata(bytes: Uint8Array, format: ImageFormat): Promise<Metadata> {
  let metadata: Metadata;
  try {
    // Header only: no pixel limit is needed yet (it is checked by the caller against the header).
    metadata = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (error) {
    throw new CorruptMediaError(`The ${format} image header cannot be read.`, { cause: error });
  }
  if (metadata.format !== format && !(format === 'avif' && metadata.format === 'heif')) {
    throw new CorruptMediaError(`The ${format} image header cannot be read.`);
  }
  return metadata;
}

async function render(pipeline: Sharp, format: ImageFormat): Promise<{ data: Buffer; info: OutputInfo }> {
  try {
    return await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (/timeout/i.test(text)) throw new MediaTimeoutError('Decoding the image took too long.', { cause: error });
    if (/pixel limit/i.test(text)) throw new MediaTooLargeError('The image has too many pixels.', { cause: error });
    throw new CorruptMediaError(`The ${format} image data is corrupt or truncated.`, { cause: error });
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MediaAbortedError('Image processing was aborted.', { cause: signal.reason });
}

/**
 * Settles with `work`, or rejects as soon as `signal` aborts. libvips cannot be interrupted, so the
 * abandoned work finishes in the background; its result is discarded.
 */
async function withSignal<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  throwIfAborted(signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new MediaAbortedError('Image processing was aborted.', { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } catch (error) {
    if (error instanceof MediaError) throw error;
    throw new CorruptMediaError('The image cannot be decoded.', { cause: error });
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    work.catch(() => undefined);
  }
}
