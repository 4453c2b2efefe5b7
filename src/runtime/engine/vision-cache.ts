// Vision features per media item, keyed by content (media-key.ts), LRU within a byte budget.
// Concurrent requests for the same item share one preprocessing and one encoder run.
import { assertValidGrid, gridPatchCount, InvalidGridError, type GridThw } from '../qwen2-5-vl/grid-thw.js';
import type { ModelRunner } from '../runner/model-runner.js';
import type { MediaDescription, MediaPart } from './engine-api.js';
import { LruByteCache } from './lru-byte-cache.js';

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
  /**
   * The item's vision-cache key: SHA-256 over its bytes and its effective preprocessing settings,
   * computed without decoding, so a cache hit skips preprocessing and the encoder alike.
   */
  contentKey(part: MediaPart, signal: AbortSignal | undefined): Promise<string>;
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
  /** Encodes under way, with the signal of the request that started each. */
  private readonly inFlight = new Map<string, { work: Promise<EncodedMedia>; signal: AbortSignal | undefined }>();
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

  /**
   * The item's grid without running the encoder (for counting its tokens): the cached entry's
   * when there is one, else preprocessing alone. Counts no cache query.
   */
  async grid(
    part: MediaPart,
    signal: AbortSignal | undefined,
  ): Promise<Pick<EncodedMedia, 'kind' | 'gridThw' | 'secondPerGridTs'>> {
    const key = await this.preprocessor.contentKey(part, signal);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const media = await this.preprocessor.preprocess(part, signal);
    return {
      kind: part.type,
      gridThw: media.gridThw,
      ...(media.secondPerGridTs === undefined ? {} : { secondPerGridTs: media.secondPerGridTs }),
    };
  }

  async encode(part: MediaPart, signal: AbortSignal | undefined): Promise<EncodedMedia> {
    const key = await this.preprocessor.contentKey(part, signal);
    this.stats.queries += 1;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.hits += 1;
      return cached;
    }
    if (this.inFlight.has(key)) this.stats.hits += 1;
    return this.encodeShared(key, part, signal);
  }

  /** Joins the encode under way for `key`, or starts one. */
  private async encodeShared(key: string, part: MediaPart, signal: AbortSignal | undefined): Promise<EncodedMedia> {
    const pending = this.inFlight.get(key);
    if (pending === undefined) {
      const work = this.encodeFresh(key, part, signal).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, { work, signal });
      return work;
    }
    try {
      return await pending.work;
    } catch (error) {
      // Fix (issue 4 review): shared work runs under the signal of the request that started it.
      // When that request is aborted, the others used to fail with its AbortError; now each one
      // still alive joins (or starts) a fresh encode under its own signal.
      if (pending.signal?.aborted !== true || signal?.aborted === true) throw error;
      return this.encodeShared(key, part, signal);
    }
  }

  private async encodeFresh(key: string, part: MediaPart, signal: AbortSignal | undefined): Promise<EncodedMedia> {
    const media = await this.preprocessor.preprocess(part, signal);
    signal?.throwIfAborted();
    // A grid that disagrees with its pixels would make the encoder fail or read garbage.
    const vision = this.runner.config.vision;
    assertValidGrid(media.gridThw, vision.spatialMergeSize, part.type);
    const rowLength = 3 * vision.temporalPatchSize * vision.patchSize ** 2;
    if (media.pixelValues.length !== gridPatchCount(media.gridThw) * rowLength)
      throw new InvalidGridError(`${part.type}: grid ${media.gridThw.join('x')} does not match its pixel values`);
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
