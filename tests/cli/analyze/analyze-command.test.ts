// `shotvl analyze` over a folder with a corrupt file: the other files are analyzed, the bad one is
// reported (a line with its error, a notice on stderr, exit code 1), and a second run skips what is
// done. Once in process on the tiny model (--model), once against a server (--endpoint).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/analyze.js';
import { tinyModelDir } from '../../helpers/tiny-model.js';
import { createTestApp, type TestApp } from '../../server/test-app.js';

const execute = promisify(execFile);

interface ResultLine {
  file: string;
  error?: { code: string; message: string };
  dimensions?: Record<string, { label: string; distribution: Record<string, number> }>;
  media?: { kind: string };
}

async function readResults(path: string): Promise<ResultLine[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ResultLine);
}

/** Runs the command, capturing stderr. */
async function analyze(argv: string[]): Promise<{ code: number; stderr: string }> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const code = await run(argv);
    return { code, stderr: written.join('') };
  } finally {
    spy.mockRestore();
  }
}

async function image(width: number, height: number, format: 'png' | 'jpeg'): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let index = 0; index < pixels.length; index += 1) pixels[index] = (index * 13) % 251;
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    [format]()
    .toBuffer();
}

let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'shotvl-analyze-cli-'));
  const shots = join(folder, 'shots');
  await mkdir(join(shots, 'nested'), { recursive: true });
  await mkdir(join(shots, '.cache'), { recursive: true });
  await writeFile(join(shots, 'a.png'), await image(80, 60, 'png'));
  await writeFile(join(shots, 'nested', 'b.jpg'), await image(64, 64, 'jpeg'));
  // A JPEG signature followed by garbage: looks like a still, cannot be decoded.
  await writeFile(
    join(shots, 'corrupt.jpg'),
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x17)]),
  );
  await writeFile(join(shots, 'notes.txt'), 'not a shot\n');
  await writeFile(join(shots, '.cache', 'hidden.png'), await image(8, 8, 'png'));
  await execute('ffmpeg', [
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=8',
    '-t',
    '1',
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    join(shots, 'clip.mp4'),
  ]);
});

afterAll(async () => {
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

describe('shotvl analyze --model (tiny model, in process)', () => {
  const modelDir = tinyModelDir();

  it('finishes the other files, reports the corrupt one, and resumes', async () => {
    const out = join(folder, 'model-results.jsonl');
    const first = await analyze([join(folder, 'shots'), '--model', modelDir, '--out', out, '--concurrency', '2']);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/corrupt\.jpg: .*\(corrupt_media\)/);
    expect(first.stderr).toMatch(/3 analyzed, 0 already in .*, 1 could not be analyzed/);
    const lines = await readResults(out);
    const byName = new Map(lines.map((line) => [line.file.slice(join(folder, 'shots').length + 1), line]));
    expect([...byName.keys()].sort()).toEqual(['a.png', 'clip.mp4', 'corrupt.jpg', 'nested/b.jpg']);
    expect(byName.get('corrupt.jpg')!.error?.code).toBe('corrupt_media');
    expect(Object.keys(byName.get('a.png')!.dimensions!)).toHaveLength(7);
    expect(Object.keys(byName.get('nested/b.jpg')!.dimensions!)).toHaveLength(7);
    expect(byName.get('clip.mp4')!.media!.kind).toBe('video');
    expect(Object.keys(byName.get('clip.mp4')!.dimensions!)).toHaveLength(8);

    const second = await analyze([join(folder, 'shots'), '--model', modelDir, '--out', out]);
    expect(second.stderr).toMatch(/0 analyzed, 3 already in .*, 1 could not be analyzed/);
    expect(second.code).toBe(1);
    const after = await readResults(out);
    // The three done files kept their one line; the corrupt one was tried again.
    expect(after).toHaveLength(5);
    expect(after.slice(0, 4)).toEqual(lines);
    expect(after[4]!.file.endsWith('corrupt.jpg')).toBe(true);
  });
});

describe('shotvl analyze --endpoint', () => {
  let test: TestApp;
  let url: string;

  beforeAll(async () => {
    test = createTestApp({ argv: ['--media-max-bytes', '40000'] });
    await test.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => test?.app.close());
  afterEach(() => vi.restoreAllMocks());

  it('uploads each file, reports what the server or the sniffing refuses, and resumes', async () => {
    const big = join(folder, 'big.png');
    // A PNG signature over the server's 40000-byte limit: refused with 413 by the server.
    await writeFile(big, Buffer.concat([(await image(4, 4, 'png')).subarray(0, 16), Buffer.alloc(50_000)]));
    const text = join(folder, 'text.jpg');
    await writeFile(text, 'plain text named like a JPEG\n');
    const out = join(folder, 'endpoint-results.jsonl');
    const files = [join(folder, 'shots', 'a.png'), big, text, join(folder, 'shots', 'clip.mp4')];
    const first = await analyze([
      ...files,
      '--endpoint',
      url,
      '--out',
      out,
      '--dimensions',
      'shot_size,CM',
      '--retries',
      '0',
    ]);
    expect(first.code).toBe(1);
    const lines = await readResults(out);
    expect(lines.map((line) => line.error?.code ?? 'ok')).toEqual(
      expect.arrayContaining(['ok', 'ok', 'media_too_large', 'unsupported_format']),
    );
    expect(first.stderr).toMatch(/big\.png: .*media_too_large/);
    expect(first.stderr).toMatch(/text\.jpg: .*unsupported_format/);
    const still = lines.find((line) => line.file.endsWith('a.png'))!;
    // camera movement does not apply to a still: only shot size was asked.
    expect(Object.keys(still.dimensions!)).toEqual(['shot_size']);
    const clip = lines.find((line) => line.file.endsWith('clip.mp4'))!;
    expect(Object.keys(clip.dimensions!)).toEqual(['shot_size', 'camera_movement']);
    expect(test.engine.requests).toHaveLength(3);

    const second = await analyze([
      ...files,
      '--endpoint',
      url,
      '--out',
      out,
      '--dimensions',
      'shot_size,CM',
      '--retries',
      '0',
    ]);
    expect(second.stderr).toMatch(/0 analyzed, 2 already in .*, 2 could not be analyzed/);
    expect(test.engine.requests).toHaveLength(3);
  });

  it('stops, rather than failing every file, when the server is unreachable', async () => {
    const out = join(folder, 'down-results.jsonl');
    await expect(
      analyze([join(folder, 'shots', 'a.png'), '--endpoint', 'http://127.0.0.1:9', '--out', out, '--retries', '0']),
    ).rejects.toThrow(/run the same command again to resume/);
  });
});
