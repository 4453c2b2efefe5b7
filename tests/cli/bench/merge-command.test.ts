// `shotvl bench merge`: shards' predictions joined by index, duplicates refused, missing listed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/bench.js';
import { shardOf } from '../../../src/cli/shard/shard-selection.js';
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';
import { completionReply, startStubEndpoint } from './stub-endpoint.js';
import { readJsonLinesSync } from '../../helpers/json-lines.js';

let folder = '';
let stderr: string[] = [];

const ITEMS = Array.from({ length: 20 }, (_, position) => ({
  index: position + 1,
  type: ['image'],
  path: [`image/${position + 1}.jpg`],
  question: `Which, for item ${position + 1}?`,
  options: { A: 'Wide', B: 'Close Up' },
  answer: 'A',
  category: position < 10 ? 'shot size' : 'camera angle',
}));

function prediction(index: number, output = 'A'): string {
  return `${JSON.stringify({ index, output, category: 'shot size', answer: 'A', question: 'Which?', options: { A: 'Wide', B: 'Close Up' } })}\n`;
}

function write(name: string, lines: string[]): string {
  const path = join(folder, name);
  writeFileSync(path, lines.join(''));
  return path;
}

function indices(path: string): number[] {
  return readJsonLinesSync<{ index: number }>(path).map((line) => line.index);
}

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'bench-merge-'));
  writeFileSync(join(folder, 'data.jsonl'), ITEMS.map((item) => `${JSON.stringify(item)}\n`).join(''));
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

afterEach(() => vi.restoreAllMocks());

function capture(): void {
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(
    (chunk: string | Uint8Array) => (stderr.push(String(chunk)), true),
  );
}

describe('shotvl bench merge', () => {
  it('joins the shards sorted by index; a resumed shard keeps its last line per item', async () => {
    const shards = [0, 1, 2].map((shard) =>
      write(
        `shard-${shard}.jsonl`,
        ITEMS.filter((item) => shardOf(String(item.index), 3) === shard).map((item) => prediction(item.index)),
      ),
    );
    // Shard 0 was interrupted and resumed: an item answered twice in the same file, last one wins.
    const first = ITEMS.find((item) => shardOf(String(item.index), 3) === 0)!;
    writeFileSync(shards[0]!, readFileSync(shards[0]!, 'utf8') + prediction(first.index, 'B'));
    capture();
    const out = join(folder, 'merged.jsonl');
    expect(await run(['merge', ...shards, '--out', out, '--data', join(folder, 'data.jsonl')])).toBe(0);
    expect(indices(out)).toEqual(ITEMS.map((item) => item.index));
    const merged = readJsonLinesSync<{ index: number; output: string }>(out);
    expect(merged.find((line) => line.index === first.index)?.output).toBe('B');
    expect(stderr.join('')).toContain('complete: all 20 selected items are answered');
    // The merge scores like any run.
    capture();
    expect(await run(['score', out, '--format', 'json'])).toBe(0);
  });

  it('refuses an item that two shards answered, writing nothing', async () => {
    const a = write('dup-a.jsonl', [prediction(1), prediction(2)]);
    const b = write('dup-b.jsonl', [prediction(2), prediction(3)]);
    const out = join(folder, 'dup-merged.jsonl');
    await expect(run(['merge', a, b, '--out', out])).rejects.toThrow(
      /refusing to merge: 1 index appear in more than one shard \(index 2 in .*dup-a\.jsonl and .*dup-b\.jsonl\)/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('lists the selected items no shard answered and exits 1, after writing the merge', async () => {
    const a = write('gap-a.jsonl', [prediction(1), prediction(2), prediction(3)]);
    const b = write('gap-b.jsonl', [prediction(5), prediction(9)]);
    const out = join(folder, 'gap-merged.jsonl');
    capture();
    expect(await run(['merge', a, b, '--out', out, '--data', join(folder, 'data.jsonl'), '--categories', 'SS'])).toBe(
      1,
    );
    expect(indices(out)).toEqual([1, 2, 3, 5, 9]);
    expect(stderr.join('')).toContain('5 items missing: 4, 6, 7, 8, 10');
  });

  it('refuses to overwrite one of its inputs and explains bad lines', async () => {
    const a = write('self.jsonl', [prediction(1)]);
    await expect(run(['merge', a, '--out', a])).rejects.toThrow(/is one of the shard files/);
    const bad = write('bad.jsonl', ['{"not": "a prediction"}\n', prediction(1)]);
    await expect(run(['merge', bad, '--out', join(folder, 'x.jsonl')])).rejects.toThrow(
      /bad\.jsonl:1: not a line of a bench run predictions file/,
    );
  });

  it('bench run --shard over 3 shards, then merge, gives the lines of one unsharded run', async () => {
    mkdirSync(join(folder, 'image'), { recursive: true });
    for (const item of ITEMS)
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777777' } })
        .jpeg()
        .toFile(join(folder, item.path[0]!));
    // Each item gets its own answer, so a line written for the wrong item would show.
    const stub = await startStubEndpoint((request) => {
      const body = JSON.stringify(request.body);
      const item = ITEMS.find((candidate) => body.includes(candidate.question));
      return completionReply(item === undefined ? '?' : item.index % 3 === 0 ? 'B' : 'A');
    });
    try {
      const common = ['--data', join(folder, 'data.jsonl'), '--endpoint', stub.url, '--model', 'm', '--mode', 'plain'];
      capture();
      const whole = join(folder, 'whole.jsonl');
      expect(await run(['run', ...common, '--out', whole])).toBe(0);
      const shards = [0, 1, 2].map((shard) => join(folder, `run-shard-${shard}.jsonl`));
      for (const [shard, out] of shards.entries())
        expect(await run(['run', ...common, '--shard', `${shard}/3`, '--out', out])).toBe(0);
      const sizes = shards.map((out) => indices(out).length);
      expect(sizes.every((size) => size > 0 && size < ITEMS.length)).toBe(true);
      const merged = join(folder, 'run-merged.jsonl');
      expect(await run(['merge', ...shards, '--out', merged, '--data', join(folder, 'data.jsonl')])).toBe(0);
      const strip = (path: string) =>
        readFileSync(path, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const { latency_ms: _latency, ...rest } = JSON.parse(line) as Record<string, unknown>;
            return rest;
          })
          .sort((first, second) => Number(first['index']) - Number(second['index']));
      expect(strip(merged)).toEqual(strip(whole));
    } finally {
      await stub.close();
    }
  });
});
