// KV prefixes keyed by content. A prompt is cut into blocks of BLOCK_TOKENS tokens and each block
// gets a chained SHA-256 (previous block's hash, the cache salt, the block's token ids, and the
// content hash of every media item whose vision tokens fall in the block). Two prompts share a
// block hash exactly when everything up to the end of that block is identical, media included,
// so the longest cached prefix of a new prompt is found by walking its block hashes.
import { createHash } from 'node:crypto';
import { LruByteCache } from './lru-byte-cache.js';
import type { PrefixIndex, SequenceSpec } from './scheduler.js';

/** Prefix reuse granularity (vLLM's default block size is 16). */
export const BLOCK_TOKENS = 16;

export interface PromptIdentity {
  tokenIds: Int32Array;
  /** For each token position, the content hash of the media item it belongs to ('' for text). */
  mediaHashAt: (position: number) => string;
  cacheSalt: string;
}

/** Chained hashes of the prompt's full blocks. */
export function blockHashes(prompt: PromptIdentity): string[] {
  const hashes: string[] = [];
  let previous = '';
  const blocks = Math.floor(prompt.tokenIds.length / BLOCK_TOKENS);
  for (let block = 0; block < blocks; block += 1) {
    const hash = createHash('sha256').update(previous).update('\0').update(prompt.cacheSalt).update('\0');
    const start = block * BLOCK_TOKENS;
    hash.update(new Uint8Array(prompt.tokenIds.buffer, prompt.tokenIds.byteOffset + start * 4, BLOCK_TOKENS * 4));
    let lastMedia = '';
    for (let position = start; position < start + BLOCK_TOKENS; position += 1) {
      const media = prompt.mediaHashAt(position);
      if (media !== '' && media !== lastMedia) hash.update(media);
      lastMedia = media;
    }
    previous = hash.digest('hex');
    hashes.push(previous);
  }
  return hashes;
}

interface PrefixEntry {
  prefixId: number;
  length: number;
  hashes: string[];
}

export interface PrefixCacheStats {
  queries: number;
  hits: number;
  /** Prompt tokens served from the cache. */
  hitTokens: number;
}

export class PrefixCache implements PrefixIndex {
  private readonly byHash = new Map<string, PrefixEntry>();
  private readonly entries: LruByteCache<number, PrefixEntry>;
  private nextId = 1;
  readonly stats: PrefixCacheStats = { queries: 0, hits: 0, hitTokens: 0 };

  constructor(
    budgetBytes: number,
    private readonly bytesPerToken: number,
    /** Frees the KV copy the model worker holds for an evicted prefix. */
    dropPrefix: (prefixId: number) => void,
  ) {
    this.entries = new LruByteCache(budgetBytes, (_, entry) => {
      for (const hash of entry.hashes) if (this.byHash.get(hash) === entry) this.byHash.delete(hash);
      dropPrefix(entry.prefixId);
    });
  }

  get bytes(): number {
    return this.entries.bytes;
  }

  /** Longest cached prefix of the prompt (in whole blocks), without counting a query. */
  peek(hashes: readonly string[]): { prefixId: number; length: number } | undefined {
    for (let block = hashes.length - 1; block >= 0; block -= 1) {
      const entry = this.byHash.get(hashes[block]!);
      if (entry !== undefined) {
        this.entries.get(entry.prefixId);
        return { prefixId: entry.prefixId, length: (block + 1) * BLOCK_TOKENS };
      }
    }
    return undefined;
  }

  longestPrefix(spec: SequenceSpec): { prefixId: number; length: number } | undefined {
    return spec.blockHashes === undefined ? undefined : this.peek(spec.blockHashes);
  }

  /** Records one lookup: a query, and a hit when some of the prompt came from the cache. */
  record(hitTokens: number): void {
    this.stats.queries += 1;
    if (hitTokens > 0) {
      this.stats.hits += 1;
      this.stats.hitTokens += hitTokens;
    }
  }

  /**
   * Reserves an id for a prefix the caller is about to save in the worker, or undefined when
   * the blocks are already cached or too short to be worth keeping.
   */
  reserve(hashes: readonly string[]): number | undefined {
    if (hashes.length === 0) return undefined;
    if (this.byHash.has(hashes[hashes.length - 1]!)) return undefined;
    return this.nextId++;
  }

  /** Registers a prefix saved in the worker under `prefixId`, covering all of `hashes`. */
  insert(prefixId: number, hashes: readonly string[]): void {
    const entry: PrefixEntry = { prefixId, length: hashes.length * BLOCK_TOKENS, hashes: [...hashes] };
    if (!this.entries.set(prefixId, entry, entry.length * this.bytesPerToken)) return;
    for (const hash of hashes) this.byHash.set(hash, entry);
  }

  clear(): void {
    this.entries.clear();
  }
}
