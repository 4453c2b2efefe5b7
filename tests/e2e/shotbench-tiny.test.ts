// Issue 7 "Must show", end to end: `shotvl bench run` on a small ShotBench set generated here (two
// PNGs made with sharp, one MP4 made with ffmpeg, JSON Lines in the official format of
// tests/fixtures/shotbench/shotbench_test.jsonl) against a live server with the real tiny model, then
// `shotvl bench score`. The tiny model's answers are noise, so the test checks the plumbing: every
// item answered once, a second run sends nothing, and the score table prints.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/bench.js';
import { makeTestVideo } from '../helpers/test-video.js';
import { startLiveTinyServer, type LiveTinyServer } from './live-tiny-server.js';
import { readJsonLinesSync } from '../helpers/json-lines.js';

interface DatasetRow {
  index: number;
  type: ['image' | 'video'];
  path: [string];
  question: string;
  options: Record<string, string>;
  answer: string;
  category: string;
}

const ROWS: DatasetRow[] = [
  {
    index: 1,
    type: ['image'],
    path: ['image/red.png'],
    question: "What's the shot size of this shot?",
    options: { A: 'Extreme Close Up', B: 'Medium Close Up', C: 'Close Up', D: 'Medium Wide' },
    answer: 'D',
    category: 'shot size',
  },
  {
    index: 2,
    type: ['image'],
    path: ['image/blue.png'],
    question: "What's the lighting type of this shot?",
    options: { A: 'Daylight', B: 'Artificial light', C: 'Moonlight', D: 'Firelight' },
    answer: 'A',
    category: 'lighting type',
  },
  {
    index: 3,
    type: ['video'],
    path: ['video/testsrc.mp4'],
    question: "What's the camera movement in this movie shot?",
    options: { A: 'Pan left', B: 'Pan right', C: 'Push in', D: 'Static' },
    answer: 'C',
    category: 'camera movement',
  },
];

let live: LiveTinyServer;
let folder = '';
let stdout: string[] = [];
let stderr: string[] = [];

function captureOutput(): void {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (chunk: string | Uint8Array) => (stdout.push(String(chunk)), true),
  );
  vi.spyOn(process.stderr, 'write').mockImplementation(
    (chunk: string | Uint8Array) => (stderr.push(String(chunk)), true),
  );
}

/** Requests the engine has finished, whatever the reason: counts what reached the model. */
function finishedRequests(): number {
  const stats = live.engine.stats();
  return Object.values(stats.finishedRequests).reduce((sum, count) => sum + count, 0) + stats.abortedRequests;
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'e2e-shotbench-'));
  mkdirSync(join(folder, 'media/image'), { recursive: true });
  mkdirSync(join(folder, 'media/video'), { recursive: true });
  await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .png()
    .toFile(join(folder, 'media/image/red.png'));
  await sharp({ create: { width: 40, height: 56, channels: 3, background: { r: 20, g: 40, b: 220 } } })
    .png()
    .toFile(join(folder, 'media/image/blue.png'));
  makeTestVideo(join(folder, 'media/video/testsrc.mp4'));
  writeFileSync(join(folder, 'shotbench.jsonl'), ROWS.map((row) => JSON.stringify(row)).join('\n') + '\n');
  live = await startLiveTinyServer();
});

afterAll(async () => {
  await live?.close();
  rmSync(folder, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('shotvl bench against the tiny model', () => {
  const out = (): string => join(folder, 'predictions.jsonl');
  const runArguments = (): string[] => [
    'run',
    '--data',
    join(folder, 'shotbench.jsonl'),
    '--media',
    join(folder, 'media'),
    '--endpoint',
    `${live.url}/v1`,
    '--model',
    live.modelId,
    '--mode',
    'plain',
    '--max-tokens',
    '8',
    '--concurrency',
    '2',
    '--out',
    out(),
  ];

  it('answers every item once', async () => {
    const before = finishedRequests();
    captureOutput();
    const code = await run(runArguments());
    vi.restoreAllMocks();
    expect(code, stderr.join('')).toBe(0);
    expect(finishedRequests() - before).toBe(ROWS.length);
    const lines = readJsonLinesSync(out());
    expect(lines.map((line) => line['index']).sort()).toEqual(ROWS.map((row) => row.index));
    for (const line of lines) {
      const row = ROWS.find((candidate) => candidate.index === line['index'])!;
      expect(line).toMatchObject({
        category: row.category,
        answer: row.answer,
        model: live.modelId,
        mode: 'plain',
        output: expect.any(String),
        hit: expect.any(Boolean),
      });
      expect(line['usage']).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
      expect((line['usage'] as { completion_tokens: number }).completion_tokens).toBeLessThanOrEqual(8);
      expect(typeof line['latency_ms']).toBe('number');
    }
    expect(stderr.join('')).toMatch(new RegExp(`ShotBench: done ${ROWS.length} in`));
  });

  it('resumes: a second run sends nothing', async () => {
    const before = finishedRequests();
    const queriesBefore = live.engine.stats().prefixCacheQueries;
    captureOutput();
    expect(await run(runArguments())).toBe(0);
    vi.restoreAllMocks();
    expect(finishedRequests()).toBe(before);
    expect(live.engine.stats().prefixCacheQueries).toBe(queriesBefore);
    expect(readJsonLinesSync(out())).toHaveLength(ROWS.length);
  });

  it('scores the predictions as a table', async () => {
    captureOutput();
    expect(await run(['score', out()])).toBe(0);
    vi.restoreAllMocks();
    const table = stdout.join('');
    for (const heading of ['SS', 'SF', 'CA', 'LS', 'LT', 'LC', 'SC', 'CM', 'Avg', 'Overall'])
      expect(table).toContain(heading);
    expect(table).toContain('predictions.jsonl');

    captureOutput();
    expect(await run(['score', out(), '--format', 'json'])).toBe(0);
    vi.restoreAllMocks();
    const [scored] = (
      JSON.parse(stdout.join('')) as { runs: { overall: { total: number; correct: number }; undecided: number }[] }
    ).runs;
    expect(scored?.overall.total).toBe(ROWS.length);
    expect(scored?.undecided).toBeLessThanOrEqual(ROWS.length);
  });
});
