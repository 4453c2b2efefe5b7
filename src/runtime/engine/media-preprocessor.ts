// The engine's MediaPreprocessor: src/media's preprocessing (ShotVL's evaluation settings as
// defaults: images at native size within smart_resize's budget, videos at fps 12 with max_pixels
// 360*640; requests may only lower them) run in a pool of worker threads so that decoding and
// resizing never block the event loop.
import { mediaContentHash } from '../../media/preprocess-media.js';
import { MediaWorkerPool } from '../../media/media-worker-pool.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from '../../media/media-limits.js';
import type { MediaPreprocessor } from './vision-cache.js';

export interface MediaPreprocessorOptions {
  limits?: MediaLimits;
  /** Worker threads for preprocessing (default 1). */
  workers?: number;
}

export interface ClosableMediaPreprocessor extends MediaPreprocessor {
  close(): Promise<void>;
}

export function createMediaPreprocessor(options: MediaPreprocessorOptions = {}): ClosableMediaPreprocessor {
  const limits = options.limits ?? DEFAULT_MEDIA_LIMITS;
  const pool = new MediaWorkerPool({ size: options.workers ?? 1 });
  return {
    contentKey: (item, signal) => mediaContentHash(item, { limits, ...(signal === undefined ? {} : { signal }) }),
    preprocess: (item, signal) => pool.run(item, { limits, ...(signal === undefined ? {} : { signal }) }),
    close: () => pool.close(),
  };
}
