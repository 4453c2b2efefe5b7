// `shotvl analyze --segment --export csv,edl,otio` in process on the tiny model: a generated two-shot
// clip gives one line per shot and the clip's line, a rerun resumes (nothing analysed twice), and the
// exports describe the same two shots.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { segmentedClips } from '../../../src/cli/analyze/shot-exports.js';
import { run } from '../../../src/cli/commands/analyze.js';
import { convertTinyA, type ConvertedModel } from '../../helpers/converted-tiny-a.js';
import { makeShotClip } from '../../helpers/shot-clips.js';

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

describe('shotvl analyze --segment --export', () => {
  let model: ConvertedModel;
  let folder: string;
  let clip: string;

  beforeAll(async () => {
    model = await convertTinyA(['fp32']);
    folder = await mkdtemp(join(tmpdir(), 'shotvl-analyze-segment-'));
    clip = join(folder, 'two shots.mp4');
    await makeShotClip(clip, {
      rate: '30000/1001',
      width: 64,
      height: 36,
      shots: [
        { source: 'testsrc2', frames: 24 },
        { source: 'noise-red', frames: 24 },
      ],
      transitions: [{ type: 'cut', frames: 0 }],
    });
  }, 60_000);

  afterAll(async () => {
    model?.cleanup();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('writes a line per shot, resumes, and exports CSV, EDL and OTIO', async () => {
    const out = join(folder, 'results.jsonl');
    const argv = [
      clip,
      '--model',
      model.modelDir,
      '--out',
      out,
      '--segment',
      '--max-pixels',
      String(28 * 28 * 8),
      '--dimensions',
      'shot_size,CM',
    ];
    const first = await analyze([...argv, '--export', 'csv,edl', '--export', 'otio']);
    expect(first.code, first.stderr).toBe(0);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.shot ?? 'clip')).toEqual([0, 1, 'clip']);
    expect(lines[1]).toMatchObject({
      start_frame: 24,
      end_frame: 48,
      transition_in: 'cut',
      start_timecode: '00:00:00;24',
    });
    expect(Object.keys(lines[0]!.dimensions as object)).toEqual(['shot_size', 'camera_movement']);
    expect(lines[2]).toMatchObject({ object: 'shot.segmentation', shots: 2, clip: { frames: 48, drop_frame: true } });

    const second = await analyze(argv);
    expect(second.stderr).toMatch(/0 analyzed, 1 already in/);
    expect((await readFile(out, 'utf8')).trim().split('\n')).toHaveLength(3);

    const csv = (await readFile(join(folder, 'two shots.mp4.shots.csv'), 'utf8')).trim().split('\r\n');
    expect(csv).toHaveLength(3);
    expect(csv[2]).toMatch(/^two shots\.mp4,1,24,48,24,/);
    const edl = await readFile(join(folder, 'two shots.mp4.shots.edl'), 'utf8');
    expect(edl).toContain('FCM: DROP FRAME');
    expect(edl).toContain('002  AX       V     C        00:00:00;24 00:00:01;18 00:00:00;24 00:00:01;18');
    const otio = JSON.parse(await readFile(join(folder, 'two shots.mp4.shots.otio'), 'utf8')) as {
      tracks: { children: { children: { source_range: { start_time: { value: number } } }[] }[] };
    };
    expect(otio.tracks.children[0]!.children.map((entry) => entry.source_range.start_time.value)).toEqual([0, 24]);

    // A merge of shard files keeps every shot line; the exports read the merged file alike.
    const merged = join(folder, 'merged.jsonl');
    expect((await analyze(['merge', out, '--out', merged])).code).toBe(0);
    const mergedLines = (await readFile(merged, 'utf8')).trim().split('\n');
    expect(mergedLines).toHaveLength(3);
    expect((await segmentedClips(merged))[0]!.shots.map((shot) => shot.startFrame)).toEqual([0, 24]);

    await expect(analyze([clip, '--model', model.modelDir, '--out', out, '--export', 'csv'])).rejects.toThrow(
      /--export needs --segment/,
    );
  }, 180_000);
});
