// The vision cache: which media items the model runner holds encoded features for, keyed by
// content (the media layer's content hash), LRU within a byte budget. The features themselves stay
// in the runner (the model worker) under a feature id; this side keeps what the engine needs to
// know of each item, and tells the runner when to drop features. Concurrent requests for the same
// item share one preprocessing and one encoder run. A request holds a lease on each item until its
// prompt has reached the runner, so an eviction meanwhile only drops the features once nobody is
// about to use them.
//
// A media item has three shapes: what the client sent (MediaItem) and what preprocessing produced
// (PreprocessedMedia), both src/media's, and what the model encoded (EncodedMedia, here).
import type { MediaItem, PreprocessedMedia } from '../../media/preprocess-media.js';
import type { ModelRunner } from '../runner/model-runner.js';
import type { MediaDescription } from './engine-api.js';
import { LruByteCache } from './lru-byte-cache.js';

export interface MediaPreprocessor {
  /**
   * The item's vision-cache key: SHA-256 over its bytes and its effective preprocessing settings,
   * computed without decoding, so a cache hit skips preprocessing and the encoder alike.
   */
  contentKey(item: MediaItem, signal: AbortSignal | undefined): Promise<string>;
  /** src/media's preprocessing (usually in a worker pool); the engine reads these fields of it. */
  preprocess(
    item: MediaItem,
    signal: AbortSignal | undefined,
  ): Promise<
    Pick<
      PreprocessedMedia,
      'pixelValues' | 'gridThw' | 'secondPerGridTs' | 'width' | 'height' | 'frames' | 'durationSeconds'
    >
  >;
}

/** A media item the model encoded: its features wait in the runner under `featureId`. */
export interface EncodedMedia extends Pick<
  PreprocessedMedia,
  'kind' | 'gridThw' | 'secondPerGridTs' | 'width' | 'height' | 'frames' | 'durationSeconds' | 'contentHash'
> {
  /** Where the runner keeps the item's features (ModelRunner.encodeVision). */
  featureId: number;
  /** Language-model tokens (pad tokens) the item occupies in a prompt (ModelFamily.mediaTokenCount). */
  tokens: number;
}

/** What the engine reports of an encoded item (the `prompt` event). */
export function describeMedia(media: EncodedMedia): MediaDescription {
  return {
    kind: media.kind,
    width: media.width,
    height: media.height,
    ...(media.frames === undefined ? {} : { frames: media.frames }),
    ...(media.durationSeconds === undefined ? {} : { durationSeconds: media.durationSeconds }),
    tokens: media.tokens,
  };
}

/** An encoded item a request uses; `release` once its prompt reached the runner (or it ended). */
export interface MediaLease {
  media: EncodedMedia;
  release(): void;
}

interface Entry {
  media: EncodedMedia;
  leases: number;
  /** Out of the cache: its features go once the last lease ends. */
  evicted: boolean;
}

export class VisionCache {
  private readonly cache: LruByteCache<string, Entry>;
  /** Encodes under way, with the signal of the request that started each. */
  private readonly inFlight = new Map<string, { work: Promise<Entry>; signal: AbortSignal | undefined }>();
  private nextFeatureId = 1;
  readonly stats = { queries: 0, hits: 0 };

  constructor(
    private readonly runner: ModelRunner,
    private readonly preprocessor: MediaPreprocessor,
    budgetBytes: number,
  ) {
    this.cache = new LruByteCache(budgetBytes, (_, entry) => {
      entry.evicted = true;
      if (entry.leases === 0) this.runner.dropVision(entry.media.featureId);
    });
  }

  get bytes(): number {
    return this.cache.bytes;
  }

  /**
   * The item's grid without running the encoder (for counting its tokens): the cached entry's
   * when there is one, else preprocessing alone. Counts no cache query.
   */
  async grid(
    item: MediaItem,
    signal: AbortSignal | undefined,
  ): Promise<Pick<EncodedMedia, 'kind' | 'gridThw' | 'secondPerGridTs'>> {
    const key = await this.preprocessor.contentKey(item, signal);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached.media;
    const media = await this.preprocessor.preprocess(item, signal);
    this.runner.family.mediaTokenCount(media.gridThw, item.type);
    return {
      kind: item.type,
      gridThw: media.gridThw,
      ...(media.secondPerGridTs === undefined ? {} : { secondPerGridTs: media.secondPerGridTs }),
    };
  }

  async encode(item: MediaItem, signal: AbortSignal | undefined): Promise<MediaLease> {
    const key = await this.preprocessor.contentKey(item, signal);
    this.stats.queries += 1;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.hits += 1;
      return this.lease(cached);
    }
    if (this.inFlight.has(key)) this.stats.hits += 1;
    return this.lease(await this.encodeShared(key, item, signal));
  }

  private lease(entry: Entry): MediaLease {
    entry.leases += 1;
    let released = false;
    return {
      media: entry.media,
      release: () => {
        if (released) return;
        released = true;
        this.endLease(entry);
      },
    };
  }

  private endLease(entry: Entry): void {
    entry.leases -= 1;
    if (entry.leases === 0 && entry.evicted) this.runner.dropVision(entry.media.featureId);
  }

  /** Joins the encode under way for `key`, or starts one. */
  private async encodeShared(key: string, item: MediaItem, signal: AbortSignal | undefined): Promise<Entry> {
    const pending = this.inFlight.get(key);
    if (pending === undefined) {
      const work = this.encodeFresh(key, item, signal).finally(() => this.inFlight.delete(key));
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
      return this.encodeShared(key, item, signal);
    }
  }

  private async encodeFresh(key: string, item: MediaItem, signal: AbortSignal | undefined): Promise<Entry> {
    const media = await this.preprocessor.preprocess(item, signal);
    signal?.throwIfAborted();
    // A grid that disagrees with its pixels would make the encoder fail or read garbage.
    const tokens = this.runner.family.mediaTokenCount(media.gridThw, item.type, media.pixelValues.length);
    const featureId = this.nextFeatureId++;
    await this.runner.encodeVision(featureId, media.pixelValues, media.gridThw);
    const entry: Entry = {
      media: {
        contentHash: key,
        kind: item.type,
        featureId,
        gridThw: media.gridThw,
        ...(media.secondPerGridTs === undefined ? {} : { secondPerGridTs: media.secondPerGridTs }),
        width: media.width,
        height: media.height,
        ...(media.frames === undefined ? {} : { frames: media.frames }),
        ...(media.durationSeconds === undefined ? {} : { durationSeconds: media.durationSeconds }),
        tokens,
      },
      // The work's own lease keeps the entry until every request waiting on it has taken its own
      // (they resume in microtasks; this ends a macrotask later).
      leases: 1,
      evicted: false,
    };
    setImmediate(() => this.endLease(entry));
    this.cache.set(key, entry, tokens * this.runner.config.text.hiddenSize * 4);
    return entry;
  }
}
