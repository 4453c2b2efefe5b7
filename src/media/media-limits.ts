// Resource limits of the media layer. Every limit is a named default here and can be overridden by
// configuration (src/config reads the environment and passes a partial object to mergeMediaLimits).
// The threat model: untrusted uploads and URLs. Sizes are checked before work is done — bytes before
// parsing, header dimensions before decoding (decompression bombs), durations before sampling.
import { InvalidMediaOptionsError } from './media-errors.js';

export interface MediaLimits {
  /** Largest encoded input (image or video file) accepted, in bytes. */
  readonly maxInputBytes: number;
  /** Largest decoded image (width × height from the header) accepted; larger images are bombs. */
  readonly maxImagePixels: number;
  /** Largest longer-side / shorter-side ratio; qwen-vl-utils `MAX_RATIO` rejects above 200. */
  readonly maxAspectRatio: number;
  /** Wall time for decoding and resizing one image, in milliseconds. */
  readonly imageTimeoutMs: number;
  /** Longest video accepted, in seconds (from the container metadata, before decoding). */
  readonly maxVideoDurationSeconds: number;
  /** Most frames sampled from one video; qwen-vl-utils `FPS_MAX_FRAMES` is 768. */
  readonly maxVideoFrames: number;
  /** Largest decoded video frame (width × height), checked from the stream header. */
  readonly maxVideoFramePixels: number;
  /** Wall time of one ffmpeg/ffprobe process, in milliseconds; past it the process is killed. */
  readonly ffmpegTimeoutMs: number;
  /** Decoded pixels of all frames of a video given as a frame list, from their headers, before decoding. */
  readonly maxFrameListPixels: number;
  /**
   * Most language-model tokens one video may take, computed from its probed metadata and the
   * sampling rules before any frame is decoded (the server passes its context length).
   */
  readonly maxVideoTokens: number;
}

/** 64 MiB: a 24-megapixel JPEG is ~10 MiB, a short 1080p clip a few tens of MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;
/**
 * Pillow's `Image.MAX_IMAGE_PIXELS` (1024·1024·1024 / 4 / 3 = 89,478,485: a quarter GiB of RGB),
 * the threshold at which the reference stack itself starts treating images as decompression bombs.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = Math.floor((1024 * 1024 * 1024) / 4 / 3);
/** qwen-vl-utils `MAX_RATIO`. */
export const DEFAULT_MAX_ASPECT_RATIO = 200;
export const DEFAULT_IMAGE_TIMEOUT_MS = 30_000;
/** Ten minutes: at the ShotBench 12 fps the frame cap (768) is reached after 64 s anyway. */
export const DEFAULT_MAX_VIDEO_DURATION_SECONDS = 600;
/** qwen-vl-utils `FPS_MAX_FRAMES`. */
export const DEFAULT_MAX_VIDEO_FRAMES = 768;
/** 8K UHD (7680 × 4320). */
export const DEFAULT_MAX_VIDEO_FRAME_PIXELS = 7680 * 4320;
export const DEFAULT_FFMPEG_TIMEOUT_MS = 120_000;
/**
 * What the most frames (768) at ShotVL's video budget (360·640 each) hold: a frame list of
 * qwen-vl-utils' own frames always fits. Issue 17: 40 frames of 6000×6000 are 1.4 G pixels (4 GiB
 * as RGB) and are refused from their headers, before any is decoded.
 */
export const DEFAULT_MAX_FRAME_LIST_PIXELS = 768 * 360 * 640;
/** The default context length (--max-model-len): a video over it can never fit in a prompt. */
export const DEFAULT_MAX_VIDEO_TOKENS = 32_768;

export const DEFAULT_MEDIA_LIMITS: MediaLimits = Object.freeze({
  maxInputBytes: DEFAULT_MAX_INPUT_BYTES,
  maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS,
  maxAspectRatio: DEFAULT_MAX_ASPECT_RATIO,
  imageTimeoutMs: DEFAULT_IMAGE_TIMEOUT_MS,
  maxVideoDurationSeconds: DEFAULT_MAX_VIDEO_DURATION_SECONDS,
  maxVideoFrames: DEFAULT_MAX_VIDEO_FRAMES,
  maxVideoFramePixels: DEFAULT_MAX_VIDEO_FRAME_PIXELS,
  ffmpegTimeoutMs: DEFAULT_FFMPEG_TIMEOUT_MS,
  maxFrameListPixels: DEFAULT_MAX_FRAME_LIST_PIXELS,
  maxVideoTokens: DEFAULT_MAX_VIDEO_TOKENS,
});

const INTEGER_LIMITS: ReadonlySet<keyof MediaLimits> = new Set([
  'maxInputBytes',
  'maxImagePixels',
  'maxVideoFrames',
  'maxVideoFramePixels',
  'maxFrameListPixels',
  'maxVideoTokens',
]);

/**
 * Returns frozen limits: the defaults (or `base`) with every defined key of `overrides` replacing them.
 * Each limit must be a positive finite number (an integer for counts); anything else is a
 * configuration mistake and throws `InvalidMediaOptionsError`.
 */
export function mergeMediaLimits(
  overrides: Partial<MediaLimits> = {},
  base: MediaLimits = DEFAULT_MEDIA_LIMITS,
): MediaLimits {
  const merged: Record<string, number> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_MEDIA_LIMITS)) {
      throw new InvalidMediaOptionsError(`Unknown media limit "${key}".`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidMediaOptionsError(`Media limit "${key}" must be a positive number.`);
    }
    if (INTEGER_LIMITS.has(key as keyof MediaLimits) && !Number.isInteger(value)) {
      throw new InvalidMediaOptionsError(`Media limit "${key}" must be an integer.`);
    }
    merged[key] = value;
  }
  if ((merged.maxAspectRatio ?? 0) < 1) {
    throw new InvalidMediaOptionsError('Media limit "maxAspectRatio" must be at least 1.');
  }
  return Object.freeze(merged as unknown as MediaLimits);
}
