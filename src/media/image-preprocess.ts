// The image path of ShotBench's evaluation, end to end: bytes -> qwen-vl-utils `fetch_image`
// (to_rgb, smart_resize, PIL bicubic resize) -> Hugging Face Qwen2-VL slow image processor
// (rescale, CLIP normalise, duplicate to 2 frames, patchify). tests/fixtures/golden/README.md §3
// describes the reference.
import { decodeImage } from './image-decode.js';
import type { DecodeImageOptions, DecodedImage } from './image-decode.js';
import type { ImageFormat } from './image-format.js';
import { BICUBIC, resamplePillow } from './image-resample.js';
import { InvalidMediaOptionsError, MediaAbortedError } from './media-errors.js';
import { IMAGE_NORMALIZATION, patchify } from './patchify.js';
import type { GridThw } from './patchify.js';
import { IMAGE_FACTOR, MAX_PIXELS, MIN_PIXELS, resolveImageSize } from './smart-resize.js';
import type { ImageSizeOptions } from './smart-resize.js';

export interface PreprocessImageOptions extends DecodeImageOptions {
  /** qwen-vl-utils element options: min_pixels / max_pixels, or resized_height + resized_width. */
  size?: ImageSizeOptions;
}

export interface PreprocessedImage {
  /** float32 [gridT·gridH·gridW, 1176], rows [t, h/2, w/2, 2, 2], columns [C, T, 14, 14]. */
  pixelValues: Float32Array;
  gridThw: GridThw;
  /** Decoded size (after EXIF orientation). */
  width: number;
  height: number;
  resizedWidth: number;
  resizedHeight: number;
  /** The resized uint8 RGB image (`resizedHeight × resizedWidth × 3`) that was patchified. */
  resizedPixels: Uint8Array;
  /** Absent when the input was given as pixels. */
  format?: ImageFormat;
}

function checkPixelCount(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < MIN_PIXELS || value > MAX_PIXELS) {
    throw new InvalidMediaOptionsError(`${name} must be an integer between ${MIN_PIXELS} and ${MAX_PIXELS}.`);
  }
}

function checkSide(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value <= 0 || value > 65_535) {
    throw new InvalidMediaOptionsError(`${name} must be a positive integer of at most 65535.`);
  }
}

/**
 * Validates user-supplied size options. The pixel budgets are bounded by the model processor's own
 * [MIN_PIXELS, MAX_PIXELS] (Qwen2.5-VL preprocessor_config.json): outside them the processor would
 * resize a second time, a path the reference never takes. A lone resized_height or resized_width is
 * refused (qwen-vl-utils silently ignores it, which hides a client mistake).
 */
export function validateImageSizeOptions(options: ImageSizeOptions): ImageSizeOptions {
  checkPixelCount('min_pixels', options.minPixels);
  checkPixelCount('max_pixels', options.maxPixels);
  if ((options.minPixels ?? MIN_PIXELS) > (options.maxPixels ?? MAX_PIXELS)) {
    throw new InvalidMediaOptionsError('min_pixels must not exceed max_pixels.');
  }
  checkSide('resized_height', options.resizedHeight);
  checkSide('resized_width', options.resizedWidth);
  if ((options.resizedHeight === undefined) !== (options.resizedWidth === undefined)) {
    throw new InvalidMediaOptionsError('resized_height and resized_width must be given together.');
  }
  return options;
}

/** Resize + patchify of an already decoded RGB image. Pure. */
export function preprocessDecodedImage(
  image: Pick<DecodedImage, 'pixels' | 'width' | 'height'>,
  size: ImageSizeOptions = {},
): PreprocessedImage {
  validateImageSizeOptions(size);
  const target = resolveImageSize(image.height, image.width, size, IMAGE_FACTOR);
  // PIL.Image.resize returns a copy without resampling when the size is unchanged; so does resamplePillow.
  const resizedPixels = resamplePillow(image.pixels, image.width, image.height, 3, target.width, target.height, {
    filter: BICUBIC,
  });
  const { pixelValues, gridThw } = patchify([resizedPixels], target.height, target.width, {
    normalization: IMAGE_NORMALIZATION,
  });
  return {
    pixelValues,
    gridThw,
    width: image.width,
    height: image.height,
    resizedWidth: target.width,
    resizedHeight: target.height,
    resizedPixels,
  };
}

/** Untrusted image bytes -> model inputs. Throws MediaError subclasses only. */
export async function preprocessImage(
  bytes: Uint8Array,
  options: PreprocessImageOptions = {},
): Promise<PreprocessedImage> {
  const size = validateImageSizeOptions(options.size ?? {});
  const decoded = await decodeImage(bytes, options);
  if (options.signal?.aborted)
    throw new MediaAbortedError('Image processing was aborted.', { cause: options.signal.reason });
  return { ...preprocessDecodedImage(decoded, size), format: decoded.format };
}
