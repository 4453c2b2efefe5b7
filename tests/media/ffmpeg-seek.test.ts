// Decoding one shot of a long clip seeks to its first frame instead of decoding everything before
// it: the frames must be exactly those the frame-counting path (select by index from the start)
// gives, on H.264 with B-frames at 25 and 29.97 fps, MP4 and Matroska.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSelectedFrames } from '../../src/media/ffmpeg-decode.js';
import { probeVideoFile } from '../../src/media/ffmpeg-probe.js';

const run = promisify(execFile);
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'shotvl-seek-test-'));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function frames(path: string, container: 'mp4' | 'matroska', indices: number[], seekFrame?: number) {
  const options = { ffprobePath: 'ffprobe', timeoutMs: 30_000 };
  const probe = await probeVideoFile(`file:${path}`, container, options);
  const decoded: string[] = [];
  await decodeSelectedFrames(
    `file:${path}`,
    probe,
    indices,
    (_, rgb) => decoded.push(Buffer.from(rgb).toString('base64')),
    { ffmpegPath: 'ffmpeg', timeoutMs: 30_000, ...(seekFrame === undefined ? {} : { seekFrame }) },
  );
  return decoded;
}

describe('seeking to a shot', () => {
  for (const [rate, name, container] of [
    ['25', 'a.mp4', 'mp4'],
    ['30000/1001', 'b.mp4', 'mp4'],
    ['30000/1001', 'c.mkv', 'matroska'],
  ] as const) {
    it(`gives the same frames as counting from the start (${rate} fps, ${container})`, async () => {
      const path = join(folder, name);
      await run('ffmpeg', [
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=s=64x36:r=${rate}:d=8`,
        '-c:v',
        'libx264',
        '-g',
        '48',
        '-bf',
        '3',
        '-pix_fmt',
        'yuv420p',
        path,
      ]);
      const indices = [101, 104, 107, 110, 113, 140];
      const counted = await frames(path, container, indices);
      const seeked = await frames(path, container, indices, 101);
      expect(seeked).toHaveLength(indices.length);
      expect(seeked).toEqual(counted);
      // And the frame before is not the first one (the seek lands exactly).
      expect((await frames(path, container, [100]))[0]).not.toEqual(counted[0]);
    });
  }
});
