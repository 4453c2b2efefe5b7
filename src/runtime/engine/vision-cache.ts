// Vision features per media item, keyed by content (media-key.ts), LRU within a byte budget.
// Concurrent requests for the same item share one preprocessing and one encoder run.
import type { GridThw } from '../qwen2-5-vl/grid-thw.js';
import type { ModelRunner } from '../runner/model-runner.js';
import type { MediaDescription, MediaPart } from './engine-api.js';
import { LruByteCache } from './lru-byte-cache.js';
import { mediaContentKey } from './media-key.js';

/** What the engine needs from media preprocessing (src/media, usually in a worker pool). */
export interface PreprocessedMediaItem {
  pixelValues: Float32Array;
  gridThw: GridThw;
  secondPerGridTs?: number;
  width: number;
  height: number;
  frames?: number;
  durationSeconds?: number;
}

export interface MediaPreprocessor {
  /** The settings the item will be preprocessed with (request options clamped to limits), for the cache key. */
  effectiveOptions(part: MediaPart): Record<string, number | undefined>;
  preprocess(part: MediaPart, signal: AbortSignal | undefined): Promise<PreprocessedMediaItem>;
}

export interface EncodedMedia {
  key: string;
  kind: 'image' | 'video';
  features: Float32Array;
  gridThw: GridThw;
  secondPerGridTs?: number;
  description: MediaDescription;
}

export class VisionCache {
  private readonly cache: LruByteCache<string, EncodedMedia>;
  private readonly inFlight = new Map<string, Promise<EncodedMedia>>();
  readonly stats = { queries: 0, hits: 0 };

  constructor(
    private readonly runner: ModelRunner,
    private readonly preprocessor: MediaPreprocessor,
    budgetBytes: number,
    private readonly mergeUnit: number,
  ) {
    this.cache = new LruByteCache(budgetBytes);
  }

  get bytes(): number {
    return this.cache.bytes;
  }

  async encode(part: MediaPart, signal: AbortSignal | undefined): Promise<EncodedMedia> {
    const key = await mediaContentKey(part, this.preprocessor.effectiveOptions(part));
    this.stats.queries += 1;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.hits += 1;
      return cached;
    }
    const pending = this.inFlight.get(key);
    if (pending !== undefined) {
      this.stats.hits += 1;
      return pending;
    }
    const work = this.encodeFresh(key, part, signal).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }

  private async encodeFresh(key: string, part: MediaPart, signal: AbortSignal | undefined): Promise<EncodedMedia> {
    const media = await this.preprocessor.preprocess(part, signal);
    signal?.throwIfAborted();
    const features = await this.runner.encodeVision(media.pixelValues, media.gridThw);
    const tokens = (media.gridThw[0] * media.gridThw[1] * media.gridThw[2]) / this.mergeUnit;
    const encoded: EncodedMedia = {
      key,
      kind: part.type,
      features,
      gridThw: media.gridThw,
      ...(media.secondPerGridTs === undefined ? {} : { secondPerGridTs: media.secondPerGridTs }),
      description: {
        kind: part.type,
        width: media.width,
        height: media.height,
        ...(media.frames === undefined ? {} : { frames: media.frames }),
        ...(media.durationSeconds === undefined ? {} : { durationSeconds: media.durationSeconds }),
        tokens,
      },
    };
    this.cache.set(key, encoded, features.byteLength);
    return encoded;
  }
}
