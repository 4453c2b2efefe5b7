import { describe, expect, it } from 'vitest';
import { parseShard, selectShard, shardOf } from '../../../src/cli/shard/shard-selection.js';

const keys = Array.from({ length: 3000 }, (_, index) => String(index + 1));

describe('--shard I/N', () => {
  it('parses I/N with I counting from 0', () => {
    expect(parseShard(undefined)).toBeUndefined();
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard(' 7/8 ')).toEqual({ index: 7, count: 8 });
  });

  it.each(['8/8', '1/0', '-1/4', '1', 'a/b', '1/2/3', '0.5/2', '0/100000'])('refuses %s with a usage error', (text) => {
    expect(() => parseShard(text)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('splits the items into disjoint shards that cover them all, near evenly', () => {
    const shards = Array.from({ length: 4 }, (_, index) => selectShard(keys, { index, count: 4 }, (key) => key));
    expect(shards.flat().sort()).toEqual([...keys].sort());
    expect(new Set(shards.flat()).size).toBe(keys.length);
    for (const shard of shards) expect(Math.abs(shard.length - keys.length / 4)).toBeLessThan(keys.length * 0.05);
  });

  it('keeps each item in its shard when the input is reordered or grows', () => {
    const before = new Map(keys.map((key) => [key, shardOf(key, 5)]));
    const grown = [...keys, ...Array.from({ length: 500 }, (_, index) => `new-${index}`)].reverse();
    for (let index = 0; index < 5; index += 1) {
      const selected = selectShard(grown, { index, count: 5 }, (key) => key);
      for (const key of selected) if (before.has(key)) expect(before.get(key)).toBe(index);
    }
  });

  it('depends on the key only, not on the position (a known value pins the hash)', () => {
    // SHA-256("1") starts with 6b86b273: 0x6b86b273 % 8 = 3.
    expect(shardOf('1', 8)).toBe(0x6b86b273 % 8);
    expect(selectShard(['1'], { index: 0x6b86b273 % 8, count: 8 }, (key) => key)).toEqual(['1']);
  });
});
