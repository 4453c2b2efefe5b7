// Errors of the media layer (image decode/resize, video probe/sampling). Each failure has its own class
// with a stable string `code`, so the HTTP layer can map it to a status without parsing messages:
//
//   unsupported_format        -> 415  the bytes are not an image/video format we accept
//   corrupt_media             -> 422  a supported format, but the bytes cannot be decoded (empty, truncated)
//   unsupported_aspect_ratio  -> 422  longer side / shorter side exceeds qwen-vl-utils' MAX_RATIO (200)
//   invalid_media_options     -> 400  request options (min_pixels, resized_height, fps, ...) are invalid
//   media_too_large           -> 413  too many bytes, pixels, frames or seconds (see media-limits.ts)
//   media_timeout             -> 504  decoding took longer than its wall-time budget
//   media_aborted             -> 499  the caller aborted (client went away)
//   ffmpeg_unavailable        -> 503  ffmpeg/ffprobe cannot be started: a deployment fault, not the media's
//   media_not_found           -> 422  no regular file at the media path (the HTTP layer's media_fetch_failed,
//                                     as for a missing file: URL; the command line names the file)
//
// Messages are written for API users and never contain library text (libvips/ffmpeg messages leak
// paths and versions); the library error is kept as `cause` for logs.

import { ShotvlError } from '../util/shotvl-error.js';

export const MEDIA_ERROR_CODES = [
  'unsupported_format',
  'corrupt_media',
  'unsupported_aspect_ratio',
  'invalid_media_options',
  'media_too_large',
  'media_timeout',
  'media_aborted',
  'ffmpeg_unavailable',
  'media_not_found',
] as const;

export type MediaErrorCode = (typeof MEDIA_ERROR_CODES)[number];

export class MediaError extends ShotvlError<MediaErrorCode> {}

export class UnsupportedFormatError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unsupported_format', message, options);
  }
}

export class CorruptMediaError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('corrupt_media', message, options);
  }
}

export class UnsupportedAspectRatioError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('unsupported_aspect_ratio', message, options);
  }
}

export class InvalidMediaOptionsError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_media_options', message, options);
  }
}

export class MediaTooLargeError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('media_too_large', message, options);
  }
}

export class MediaTimeoutError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('media_timeout', message, options);
  }
}

export class MediaAbortedError extends MediaError {
  constructor(message = 'Media processing was aborted.', options?: { cause?: unknown }) {
    super('media_aborted', message, options);
  }
}

/** The ffmpeg or ffprobe executable cannot be started (not installed, not on PATH, not executable). */
export class FfmpegUnavailableError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ffmpeg_unavailable', message, options);
  }
}

/** No regular file at the path a media item names (never there, removed meanwhile, or a folder). */
export class MediaNotFoundError extends MediaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('media_not_found', message, options);
  }
}

type MediaErrorClass = new (message: string, options?: { cause?: unknown }) => MediaError;

const CLASS_OF_CODE: Readonly<Record<MediaErrorCode, MediaErrorClass>> = Object.freeze({
  unsupported_format: UnsupportedFormatError,
  corrupt_media: CorruptMediaError,
  unsupported_aspect_ratio: UnsupportedAspectRatioError,
  invalid_media_options: InvalidMediaOptionsError,
  media_too_large: MediaTooLargeError,
  media_timeout: MediaTimeoutError,
  media_aborted: MediaAbortedError,
  ffmpeg_unavailable: FfmpegUnavailableError,
  media_not_found: MediaNotFoundError,
});

export function isMediaErrorCode(value: unknown): value is MediaErrorCode {
  return typeof value === 'string' && (MEDIA_ERROR_CODES as readonly string[]).includes(value);
}

/**
 * The MediaError subclass of `code`, rebuilt from its code and message — how an error crosses a
 * thread boundary (media-worker-pool.ts), where only plain data survives structured cloning.
 */
export function mediaErrorFromCode(code: MediaErrorCode, message: string, options?: { cause?: unknown }): MediaError {
  return new CLASS_OF_CODE[code](message, options);
}

export function isMediaError(value: unknown): value is MediaError {
  return value instanceof MediaError;
}
