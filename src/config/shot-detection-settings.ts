// The shot-detection knobs of the server (`/analyze-shot` with `segment: "auto"`), read like every
// other setting: flag, then environment, then the media layer's default.
import {
  DEFAULT_MAX_DETECTION_SECONDS,
  DEFAULT_MAX_SHOTS,
  DEFAULT_MIN_SHOT_SECONDS,
  DEFAULT_SHOT_THRESHOLD,
} from '../media/shot-detection/shot-detection-options.js';
import { parseDecimal, parseInteger, parseSeconds } from './setting-values.js';

export interface ShotDetectionSettings {
  /** Content score (0-255 HSV change) a cut must reach. */
  readonly threshold: number;
  readonly minShotSeconds: number;
  /** Most shots per clip; a request may lower it. */
  readonly maxShots: number;
  /** Longest clip shots are detected in, in seconds (from its metadata). */
  readonly maxDurationSeconds: number;
}

interface Setting {
  flag: string;
  env: string;
}

type Parse<T> = (text: string, source: string) => T;
type Read = <T>(setting: Setting, fallback: T, parse: Parse<T>) => T;
/** Turns a parser's plain error into the configuration error naming the flag or variable. */
type Wrap = <T>(parse: (text: string) => T) => Parse<T>;

export function readShotDetectionSettings(
  readSetting: Read,
  wrap: Wrap,
  settings: { shotThreshold: Setting; minShotSeconds: Setting; maxShots: Setting; maxSegmentDuration: Setting },
): ShotDetectionSettings {
  const read = <T>(setting: Setting, fallback: T, parse: (text: string) => T): T =>
    readSetting(setting, fallback, wrap(parse));
  return Object.freeze({
    threshold: read(settings.shotThreshold, DEFAULT_SHOT_THRESHOLD, (value) => parseDecimal(value, 0.5, 255)),
    minShotSeconds: read(
      settings.minShotSeconds,
      DEFAULT_MIN_SHOT_SECONDS,
      (value) => parseSeconds(value, 0, 3600) / 1000,
    ),
    maxShots: read(settings.maxShots, DEFAULT_MAX_SHOTS, (value) => parseInteger(value, 1, 100_000)),
    maxDurationSeconds: read(
      settings.maxSegmentDuration,
      DEFAULT_MAX_DETECTION_SECONDS,
      (value) => parseSeconds(value, 1, 86_400) / 1000,
    ),
  });
}
