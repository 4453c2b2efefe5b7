// Target-size geometry of qwen-vl-utils 0.0.11 (`vision_process.py`): `smart_resize`, the pixel-budget
// constants, and how `fetch_image` / `fetch_video` pick the size of one item. Pure functions.
//
// Bit-for-bit fidelity matters here: a different size means a different number of vision tokens and a
// different model output. Two Python details are reproduced on purpose:
//   * `round()` rounds half to even: 854 px / 28 = 30.5 -> 30 -> 840 px (JavaScript Math.round gives 868);
//   * the floor/ceil branches divide in float64 in Python's order (`height / beta / factor`).
// One deliberate departure: where 0.0.11's floor branch yields a 0-pixel side (a very narrow image under
// a small max_pixels; the reference then crashes in PIL), smartResize throws InvalidMediaOptionsError
// naming the smallest usable max_pixels. Every size 0.0.11 produces validly is produced unchanged.
import { InvalidMediaOptionsError, UnsupportedAspectRatioError } from './media-errors.js';

/** Side multiple: patch 14 × spatial merge 2. */
export const IMAGE_FACTOR = 28;
export const MIN_PIXELS = 4 * 28 * 28;
export const MAX_PIXELS = 16384 * 28 * 28;
/** Largest longer-side / shorter-side ratio `smart_resize` accepts. */
export const MAX_RATIO = 200;

export const VIDEO_MIN_PIXELS = 128 * 28 * 28;
export const VIDEO_MAX_PIXELS = 768 * 28 * 28;
/** `int(float(128000 * 28 * 28 * 0.9))`: qwen-vl-utils' default of its VIDEO_MAX_PIXELS variable. */
export const VIDEO_TOTAL_PIXELS = Math.trunc(128000 * 28 * 28 * 0.9);
/** Frames per temporal patch: sampled frame counts are rounded to a multiple of this. */
export const FRAME_FACTOR = 2;
/** qwen-vl-utils' default sampling rate. */
export const FPS = 2.0;
export const FPS_MIN_FRAMES = 4;
export const FPS_MAX_FRAMES = 768;
/**
 * The range of `fps` a request may give (issue 17). qwen-vl-utils takes any positive float, but the
 * processor turns it into second_per_grid_t = 2 / fps and M-RoPE multiplies that by the frame
 * index: at 1e-38 the product overflows float32 to Infinity. 0.01 fps (one frame per 100 s) keeps
 * every temporal position of a 768-frame video below 160,000; 1000 fps is beyond any camera a
 * frame list could come from (and a rate that high only drives second_per_grid_t to 0).
 */
export const MIN_VIDEO_FPS = 0.01;
export const MAX_VIDEO_FPS = 1000;

/** What ShotBench evaluated ShotVL with (docs/ARCHITECTURE.md, "Media pipeline and its fidelity rules"). */
export const SHOTBENCH_VIDEO_FPS = 12;
export const SHOTBENCH_VIDEO_MAX_PIXELS = 360 * 640;

export interface Size {
  readonly height: number;
  readonly width: number;
}

/** Python 3 `round(x)` for a float: nearest integer, ties to the even neighbour. */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  // Exact for |value| < 2^52: value and its floor share the binade, so the subtraction does not round.
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** qwen-vl-utils `round_by_factor`: the multiple of `factor` closest to `value` (ties to even). */
export function roundByFactor(value: number, factor: number): number {
  return roundHalfToEven(value / factor) * factor;
}

/** qwen-vl-utils `ceil_by_factor`. */
export function ceilByFactor(value: number, factor: number): number {
  return Math.ceil(value / factor) * factor;
}

/** qwen-vl-utils `floor_by_factor`. */
export function floorByFactor(value: number, factor: number): number {
  return Math.floor(value / factor) * factor;
}

export interface SmartResizeOptions {
  factor?: number;
  minPixels?: number;
  maxPixels?: number;
  /** Defaults to MAX_RATIO (200); a server may lower it. */
  maxRatio?: number;
}

function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidMediaOptionsError(`${name} must be a positive number.`);
  }
}

/**
 * qwen-vl-utils `smart_resize(height, width, factor, min_pixels, max_pixels)`: the size closest to
 * `height × width` whose sides are multiples of `factor` and whose area lies in [minPixels, maxPixels]
 * (when the budgets allow), keeping the aspect ratio as well as rounding permits.
 */
export function smartResize(height: number, width: number, options: SmartResizeOptions = {}): Size {
  const factor = options.factor ?? IMAGE_FACTOR;
  const minPixels = options.minPixels ?? MIN_PIXELS;
  const maxPixels = options.maxPixels ?? MAX_PIXELS;
  const maxRatio = options.maxRatio ?? MAX_RATIO;
  requirePositive('height', height);
  requirePositive('width', width);
  requirePositive('min_pixels', minPixels);
  requirePositive('max_pixels', maxPixels);
  if (!Number.isInteger(factor) || factor <= 0) {
    throw new InvalidMediaOptionsError('The resize factor must be a positive integer.');
  }
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > maxRatio) {
    throw new UnsupportedAspectRatioError(
      `The aspect ratio ${ratio.toFixed(1)} (${width}x${height}) exceeds the maximum of ${maxRatio}.`,
    );
  }
  let resizedHeight = Math.max(factor, roundByFactor(height, factor));
  let resizedWidth = Math.max(factor, roundByFactor(width, factor));
  if (resizedHeight * resizedWidth > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    resizedHeight = floorByFactor(height / beta, factor);
    resizedWidth = floorByFactor(width / beta, factor);
    // 0.0.11 has no `max(factor, ...)` here (a later qwen-vl-utils added it): a narrow image under a
    // small budget floors its shorter side to 0 and PIL's resize then fails. Keep the reference result
    // wherever it is valid, and refuse the degenerate case rather than invent a size it never produced.
    if (resizedHeight < factor || resizedWidth < factor) throw degenerateSizeError(height, width, factor, maxPixels);
  } else if (resizedHeight * resizedWidth < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    resizedHeight = ceilByFactor(height * beta, factor);
    resizedWidth = ceilByFactor(width * beta, factor);
  }
  return { height: resizedHeight, width: resizedWidth };
}

/**
 * The budget below which `smart_resize`'s floor branch leaves a side of `height × width` empty: the
 * smallest integer max_pixels (from the estimate factor²·long/short up) for which both floors reach `factor`.
 */
export function smallestUsableMaxPixels(height: number, width: number, factor: number = IMAGE_FACTOR): number {
  const fits = (maxPixels: number) => {
    const beta = Math.sqrt((height * width) / maxPixels);
    return floorByFactor(height / beta, factor) >= factor && floorByFactor(width / beta, factor) >= factor;
  };
  let candidate = Math.max(1, Math.floor((factor * factor * Math.max(height, width)) / Math.min(height, width)) - 2);
  while (!fits(candidate)) candidate += 1;
  return candidate;
}

function degenerateSizeError(
  height: number,
  width: number,
  factor: number,
  maxPixels: number,
): InvalidMediaOptionsError {
  return new InvalidMediaOptionsError(
    `max_pixels ${maxPixels} is too small for a ${width}x${height} image: its shorter side would shrink below ${factor} pixels. ` +
      `Use max_pixels of at least ${smallestUsableMaxPixels(height, width, factor)} for this aspect ratio.`,
  );
}

/** The per-item size options of a qwen-vl-utils message element (`min_pixels`, `resized_height`, ...). */
export interface ImageSizeOptions {
  minPixels?: number;
  maxPixels?: number;
  resizedHeight?: number;
  resizedWidth?: number;
}

/**
 * The size `fetch_image` resizes a `height × width` image to. As in qwen-vl-utils, an explicit
 * `resized_height` + `resized_width` pair is itself passed through `smart_resize` with the default
 * budgets, and `min_pixels`/`max_pixels` are then ignored. Callers that accept user options should
 * reject a lone `resized_height` or `resized_width` (qwen-vl-utils silently ignores it).
 */
export function resolveImageSize(
  height: number,
  width: number,
  options: ImageSizeOptions = {},
  factor = IMAGE_FACTOR,
): Size {
  if (options.resizedHeight !== undefined && options.resizedWidth !== undefined) {
    return smartResize(options.resizedHeight, options.resizedWidth, { factor });
  }
  return smartResize(height, width, {
    factor,
    minPixels: options.minPixels ?? MIN_PIXELS,
    maxPixels: options.maxPixels ?? MAX_PIXELS,
  });
}

export interface VideoPixelBudgetOptions {
  minPixels?: number;
  maxPixels?: number;
  totalPixels?: number;
}

/**
 * `fetch_video`'s per-frame pixel budget for `frameCount` sampled frames:
 * max = min(ele.max_pixels, max(min(VIDEO_MAX_PIXELS, total_pixels / nframes · FRAME_FACTOR), int(min_pixels · 1.05))).
 */
export function videoPixelBudget(
  frameCount: number,
  options: VideoPixelBudgetOptions = {},
): { minPixels: number; maxPixels: number } {
  requirePositive('frame count', frameCount);
  const minPixels = options.minPixels ?? VIDEO_MIN_PIXELS;
  const totalPixels = options.totalPixels ?? VIDEO_TOTAL_PIXELS;
  const budget = Math.max(
    Math.min(VIDEO_MAX_PIXELS, (totalPixels / frameCount) * FRAME_FACTOR),
    Math.trunc(minPixels * 1.05),
  );
  const maxPixels = Math.min(options.maxPixels ?? budget, budget);
  return { minPixels, maxPixels };
}

/** The size `fetch_video` resizes `height × width` frames to when it sampled `frameCount` frames. */
export function resolveVideoFrameSize(
  height: number,
  width: number,
  frameCount: number,
  options: ImageSizeOptions & VideoPixelBudgetOptions = {},
  factor = IMAGE_FACTOR,
): Size {
  const budget = videoPixelBudget(frameCount, options);
  if (options.resizedHeight !== undefined && options.resizedWidth !== undefined) {
    return smartResize(options.resizedHeight, options.resizedWidth, { factor });
  }
  return smartResize(height, width, { factor, minPixels: budget.minPixels, maxPixels: budget.maxPixels });
}
