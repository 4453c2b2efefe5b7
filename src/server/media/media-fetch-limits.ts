// Limits of media loading. Every limit is a named default here and can be overridden by
// configuration (src/config reads the flags and environment and passes a partial object to
// mergeMediaFetchLimits). The threat model: URLs chosen by untrusted API users (SSRF, memory and
// disk exhaustion, slow-loris servers), see ip-address-policy.ts and http-media-fetch.ts.
import { DEFAULT_MAX_INPUT_BYTES, DEFAULT_MAX_VIDEO_FRAMES } from '../../media/media-limits.js';
import { ShotvlError } from '../../util/shotvl-error.js';

export interface MediaFetchLimits {
  /** Largest media item accepted, in bytes: downloaded body, decoded data: URL, or local file. */
  readonly maxBytes: number;
  /** Time to resolve the host and open the connection (TCP and TLS) of one hop, in milliseconds. */
  readonly connectTimeoutMs: number;
  /** Time for the whole load, every redirect hop and the body included, in milliseconds. */
  readonly totalTimeoutMs: number;
  /** Redirects followed by hand; one more is refused. */
  readonly maxRedirects: number;
  /** Images up to this many bytes stay in memory; larger images and every video go to a temporary file. */
  readonly memoryThresholdBytes: number;
  /** Most frames in a `data:video/jpeg;base64,<frame>,<frame>,...` URL. */
  readonly maxDataUrlFrames: number;
}

/** Same as the media layer's input limit (src/media/media-limits.ts): a short 1080p clip fits. */
export const DEFAULT_MEDIA_FETCH_MAX_BYTES = DEFAULT_MAX_INPUT_BYTES;
export const DEFAULT_MEDIA_CONNECT_TIMEOUT_MS = 10_000;
/** vLLM waits 5 s for an image and 30 s for a video (VLLM_*_FETCH_TIMEOUT); 64 MiB at ~10 Mbit/s needs ~55 s. */
export const DEFAULT_MEDIA_TOTAL_TIMEOUT_MS = 60_000;
/** mistral.rs and most SSRF guides: a handful of hops is all a CDN needs. */
export const DEFAULT_MEDIA_MAX_REDIRECTS = 3;
export const DEFAULT_MEDIA_MEMORY_THRESHOLD_BYTES = 8 * 1024 * 1024;
/** qwen-vl-utils `FPS_MAX_FRAMES`: more frames would be dropped by sampling anyway. */
export const DEFAULT_MEDIA_MAX_DATA_URL_FRAMES = DEFAULT_MAX_VIDEO_FRAMES;

export const DEFAULT_MEDIA_FETCH_LIMITS: MediaFetchLimits = Object.freeze({
  maxBytes: DEFAULT_MEDIA_FETCH_MAX_BYTES,
  connectTimeoutMs: DEFAULT_MEDIA_CONNECT_TIMEOUT_MS,
  totalTimeoutMs: DEFAULT_MEDIA_TOTAL_TIMEOUT_MS,
  maxRedirects: DEFAULT_MEDIA_MAX_REDIRECTS,
  memoryThresholdBytes: DEFAULT_MEDIA_MEMORY_THRESHOLD_BYTES,
  maxDataUrlFrames: DEFAULT_MEDIA_MAX_DATA_URL_FRAMES,
});

/** Limits that may be 0 (no redirects at all; every image spooled to disk). */
const ZERO_ALLOWED: ReadonlySet<keyof MediaFetchLimits> = new Set(['maxRedirects', 'memoryThresholdBytes']);

export class InvalidMediaFetchLimitError extends ShotvlError<'invalid_media_fetch_limit'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_media_fetch_limit', message, options);
  }
}

/**
 * Returns frozen limits: the defaults with every defined key of `overrides` replacing them. Each limit
 * must be a finite integer, positive (or zero where that means "none"); anything else is a
 * configuration mistake and throws.
 */
export function mergeMediaFetchLimits(overrides: Partial<MediaFetchLimits> = {}): MediaFetchLimits {
  const merged: Record<string, number> = { ...DEFAULT_MEDIA_FETCH_LIMITS };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_MEDIA_FETCH_LIMITS))
      throw new InvalidMediaFetchLimitError(`Unknown media fetch limit "${key}".`);
    const minimum = ZERO_ALLOWED.has(key as keyof MediaFetchLimits) ? 0 : 1;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
      throw new InvalidMediaFetchLimitError(`Media fetch limit "${key}" must be an integer >= ${minimum}.`);
    }
    merged[key] = value;
  }
  return Object.freeze(merged as unknown as MediaFetchLimits);
}
