// The knobs of shot-boundary detection, their defaults and their checks. Three are the operator's and
// the request's (README: threshold, minimum shot length, maximum shots); the rest are fixed tuning
// measured by bench/shot-boundaries.ts on its generated clip set.
import { InvalidMediaOptionsError } from '../media-errors.js';

/** PySceneDetect ContentDetector's default threshold, on the same 0-255 HSV-change scale. */
export const DEFAULT_SHOT_THRESHOLD = 27;
/** Half a second: shorter shots exist (flash cuts), but a boundary that soon after another is far more often a false one. */
export const DEFAULT_MIN_SHOT_SECONDS = 0.5;
/**
 * A feature film has 1,000-3,000 shots; one request's clip (at most the duration below) has far fewer.
 * 999 is also the most events a CMX 3600 EDL can number.
 */
export const DEFAULT_MAX_SHOTS = 999;
/** One hour: detection is cheap (bench/README.md), but every shot is then analysed. */
export const DEFAULT_MAX_DETECTION_SECONDS = 3600;
/** Wall time of the one detection ffmpeg process, in milliseconds. */
export const DEFAULT_DETECTION_TIMEOUT_MS = 900_000;

/** Frames are scaled to this width (height by the aspect ratio) before they are measured. */
export const DETECTION_WIDTH = 64;
/** Highest frame rate accepted: frame accuracy at more than this would cost more than it is worth. */
export const MAX_DETECTION_FPS = 240;

export interface ShotDetectionOptions {
  /** Content score (0-255) a frame must reach to be a cut (with the adaptive rule). */
  threshold?: number;
  /** Shortest shot, in seconds (0: one frame). */
  minShotSeconds?: number;
  /** Most shots a clip may have; more is MediaTooLargeError. */
  maxShots?: number;
}

export interface ShotDetectionLimits {
  maxDurationSeconds: number;
  timeoutMs: number;
}

export const DEFAULT_SHOT_DETECTION_LIMITS: ShotDetectionLimits = Object.freeze({
  maxDurationSeconds: DEFAULT_MAX_DETECTION_SECONDS,
  timeoutMs: DEFAULT_DETECTION_TIMEOUT_MS,
});

export interface ResolvedShotDetectionOptions {
  threshold: number;
  minShotSeconds: number;
  maxShots: number;
}

/** Defaults filled in and each value checked (InvalidMediaOptionsError, a 400). */
export function resolveShotDetectionOptions(options: ShotDetectionOptions = {}): ResolvedShotDetectionOptions {
  const threshold = options.threshold ?? DEFAULT_SHOT_THRESHOLD;
  if (!Number.isFinite(threshold) || threshold <= 0 || threshold > 255)
    throw new InvalidMediaOptionsError('The shot threshold must be a number in (0, 255].');
  const minShotSeconds = options.minShotSeconds ?? DEFAULT_MIN_SHOT_SECONDS;
  if (!Number.isFinite(minShotSeconds) || minShotSeconds < 0 || minShotSeconds > 3600)
    throw new InvalidMediaOptionsError('The minimum shot length must be between 0 and 3600 seconds.');
  const maxShots = options.maxShots ?? DEFAULT_MAX_SHOTS;
  if (!Number.isInteger(maxShots) || maxShots < 1)
    throw new InvalidMediaOptionsError('The maximum number of shots must be a positive integer.');
  return { threshold, minShotSeconds, maxShots };
}
