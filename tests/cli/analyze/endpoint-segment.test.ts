// `shotvl analyze --endpoint --segment` writes the lines --model writes: one per shot, then the
// clip's line (`object: "shot.segmentation"`, `shots: count`), so resuming and the exports work
// alike. Against a server over the FakeEngine, with a generated two-shot clip.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/analyze.js';
import { makeShotClip } from '../../helpers/shot-clips.js';
import { createTestApp, type TestApp } from '../../server/test-app.js';

let folder: string;
let clip: string;
let test: TestApp;
let url: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'shotvl-analyze-endpoint-segment-'));
  clip = join(folder, 'two.mp4');
  await makeShotClip(clip, {
    rate: '25',
    width: 64,
    height: 36,
    shots: [
      { source: 'testsrc2', frames: 25 },
      { source: 'noise-red', frames: 25 },
    ],
    transitions: [{ type: 'cut', frames: 0 }],
  });
  test = createTestApp();
  await test.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await test?.app.close();
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

describe('shotvl analyze --endpoint --segment', () => {
  it('writes a line per shot and the clip line, resumes, and exports the shots', async () => {
    const out = join(folder, 'results.jsonl');
    const argv = [clip, '--endpoint', url, '--out', out, '--segment', '--dimensions', 'shot_size', '--retries', '0'];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await run([...argv, '--export', 'csv'])).toBe(0);
      const lines = (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => line.shot ?? 'clip')).toEqual([0, 1, 'clip']);
      expect(lines[1]).toMatchObject({ file: clip, start_frame: 25, transition_in: 'cut', analysed_as: 'video' });
      expect(lines[2]).toMatchObject({ file: clip, object: 'shot.segmentation', shots: 2, clip: { frames: 50 } });
      expect(lines[2]).not.toHaveProperty('id');
      const csv = (await readFile(join(folder, 'two.mp4.shots.csv'), 'utf8')).trim().split('\r\n');
      expect(csv).toHaveLength(3);

      const requests = test.engine.requests.length;
      expect(await run(argv)).toBe(0);
      expect(test.engine.requests).toHaveLength(requests);
    } finally {
      spy.mockRestore();
    }
  }, 60_000);
});
