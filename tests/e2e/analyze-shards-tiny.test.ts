// Issue 16 "Must show": `shotvl analyze --shard I/N` over N shards, then `shotvl analyze merge`,
// gives the same results as one unsharded run. Real server, real tiny model, real stills that
// differ from one another (so a result filed under the wrong file would show).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/analyze.js';
import { startLiveTinyServer, type LiveTinyServer } from './live-tiny-server.js';

const SHARDS = 3;
const FILES = 8;

let live: LiveTinyServer;
let folder: string;

async function still(seed: number): Promise<Buffer> {
  const width = 24 + 8 * (seed % 3);
  const height = 24 + 8 * ((seed >> 1) % 3);
  const pixels = Buffer.alloc(width * height * 3);
  for (let index = 0; index < pixels.length; index += 1) pixels[index] = (index * (7 + seed * 6) + seed * 31) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

async function analyze(argv: string[]): Promise<{ code: number; stderr: string }> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    return { code: await run(argv), stderr: written.join('') };
  } finally {
    spy.mockRestore();
  }
}

/**
 * Results by file, without what differs between two runs of the same question on one server: the
 * timings, and how many prompt tokens the prefix cache (warm from the earlier run) served.
 */
async function results(path: string): Promise<Map<string, unknown>> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  return new Map(
    lines.map((line) => {
      const {
        file,
        timings: _timings,
        ...rest
      } = JSON.parse(line) as {
        file: string;
        timings?: unknown;
        usage?: { prompt_tokens_details?: unknown };
      };
      if (rest.usage !== undefined) delete rest.usage.prompt_tokens_details;
      return [file, rest];
    }),
  );
}

beforeAll(async () => {
  live = await startLiveTinyServer();
  folder = await mkdtemp(join(tmpdir(), 'analyze-shards-'));
  await mkdir(join(folder, 'footage', 'reel-2'), { recursive: true });
  for (let seed = 0; seed < FILES; seed += 1)
    await writeFile(join(folder, 'footage', seed % 2 === 0 ? '' : 'reel-2', `shot-${seed}.png`), await still(seed));
});

afterAll(async () => {
  await live?.close();
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

describe('shotvl analyze --shard, then merge', () => {
  it('gives the same results as one unsharded run', async () => {
    const footage = join(folder, 'footage');
    const common = [footage, '--endpoint', live.url, '--dimensions', 'SS,CA', '--concurrency', '2'];
    const whole = join(folder, 'whole.jsonl');
    expect((await analyze([...common, '--out', whole])).code).toBe(0);

    const shardFiles: string[] = [];
    const sizes: number[] = [];
    for (let shard = 0; shard < SHARDS; shard += 1) {
      const out = join(folder, `shard-${shard}.jsonl`);
      const { code, stderr } = await analyze([...common, '--shard', `${shard}/${SHARDS}`, '--out', out]);
      expect(code).toBe(0);
      sizes.push(Number(/shard \d+\/\d+: (\d+) of 8 files/.exec(stderr)?.[1]));
      shardFiles.push(out);
    }
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(FILES);
    expect(sizes.filter((size) => size > 0).length).toBeGreaterThan(1);

    const merged = join(folder, 'merged.jsonl');
    const { code, stderr } = await analyze(['merge', ...shardFiles, '--out', merged, '--input', footage]);
    expect(stderr).toContain(`complete: all ${FILES} input files are analyzed`);
    expect(code).toBe(0);

    const expected = await results(whole);
    const actual = await results(merged);
    expect(expected.size).toBe(FILES);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [file, result] of expected) expect(actual.get(file), file).toEqual(result);
    // The stills really differ: not every file got the same answer.
    expect(new Set([...expected.values()].map((result) => JSON.stringify(result))).size).toBeGreaterThan(1);
  });
});
