/**
 * `--shard I/N`: which items one of N workers (a Kubernetes Indexed Job, a shell loop) takes.
 * An item belongs to the shard its stable key hashes to (SHA-256, first 4 bytes as an unsigned
 * integer, modulo N), not to its position: re-running, reordering the input or adding items never
 * moves an item from one shard to another (changing N does). I counts from 0, as Kubernetes'
 * JOB_COMPLETION_INDEX does.
 */
import { createHash } from 'node:crypto';
import { usageError } from '../usage-error.js';

/** Most shards one run may be split into; far above any real fleet, low enough to catch typos. */
export const MAX_SHARDS = 10_000;

export interface ShardSelection {
  readonly index: number;
  readonly count: number;
}

/** `"2/8"` -> { index: 2, count: 8 }; a usage error for anything else. */
export function parseShard(text: string | undefined, flag = '--shard'): ShardSelection | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(index) || !Number.isSafeInteger(count))
    throw usageError(`${flag} must be I/N (shard I of N, I counting from 0), got '${text}'`);
  if (count < 1 || count > MAX_SHARDS) throw usageError(`${flag}: N must be between 1 and ${MAX_SHARDS}, got ${count}`);
  if (index >= count) throw usageError(`${flag}: I must be below N (0 to ${count - 1}), got ${index}`);
  return { index, count };
}

/** The shard (0 to count - 1) an item with this key belongs to. */
export function shardOf(key: string, count: number): number {
  return createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) % count;
}

/** The items of `shard`, in their original order; all of them when no shard is given. */
export function selectShard<Item>(
  items: readonly Item[],
  shard: ShardSelection | undefined,
  keyOf: (item: Item) => string,
): Item[] {
  if (shard === undefined) return [...items];
  return items.filter((item) => shardOf(keyOf(item), shard.count) === shard.index);
}

/** "shard 2/8" for messages, or "" without sharding. */
export function describeShard(shard: ShardSelection | undefined): string {
  return shard === undefined ? '' : `shard ${shard.index}/${shard.count}`;
}
