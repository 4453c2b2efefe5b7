// Shot detection on generated clips with known boundaries (tests/helpers/shot-clips.ts), and on bad
// input: too long, too many shots, truncated, aborted — each a MediaError, with no ffmpeg left running.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CorruptMediaError,
  MediaAbortedError,
  MediaNotFoundError,
  MediaTooLargeError,
} from '../../../src/media/media-errors.js';
import { detectShots } from '../../../src/media/shot-detection/detect-shots.js';
import { makeShotClip, type KnownBoundary } from '../../helpers/shot-clips.js';
import { processIsGone } from '../video-fixtures.js';

const run = promisify(execFile);
let folder: string;
const file = (name: string) => join(folder, name);
let threeShots: KnownBoundary[];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'shotvl-shot-detection-test-'));
  ({ boundaries: threeShots } = await makeShotClip(file('three.mp4'), {
    rate: '25',
    width: 96,
    height: 54,
    shots: [
      { source: 'testsrc2', frames: 40 },
      { source: 'noise-red', frames: 40 },
      { source: 'mandelbrot', frames: 40 },
      { source: 'smptehdbars', frames: 40 },
    ],
    transitions: [
      { type: 'cut', frames: 0 },
      { type: 'fade', frames: 8 },
      { type: 'dissolve', frames: 10 },
    ],
  }));
}, 60_000);

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('detectShots', () => {
  it('finds a cut on its frame, a fade and a dissolve once each', async () => {
    const pids: number[] = [];
    const list = await detectShots(file('three.mp4'), {}, { onProcessSpawn: (pid) => pids.push(pid) });
    expect(list.frameRate).toBe(25);
    expect(list.frameCount).toBe(150);
    expect(list.shots.map((shot) => shot.transitionIn?.type ?? null)).toEqual([null, 'cut', 'fade', 'dissolve']);
    const [cut, fade, dissolve] = threeShots as [KnownBoundary, KnownBoundary, KnownBoundary];
    expect(list.shots[1]!.start).toBe(cut.start);
    expect(list.shots[2]!.start).toBeGreaterThanOrEqual(fade.start);
    expect(list.shots[2]!.start).toBeLessThan(fade.end);
    expect(list.shots[3]!.start).toBeGreaterThanOrEqual(dissolve.start);
    expect(list.shots[3]!.start).toBeLessThan(dissolve.end);
    // The shots tile the clip; each one's own frames leave the transitions out.
    expect(list.shots.map((shot) => [shot.start, shot.end])).toEqual(
      list.shots.map((shot, index) => [shot.start, list.shots[index + 1]?.start ?? 150]),
    );
    expect(list.shots[2]!.cleanStart).toBeGreaterThanOrEqual(fade.end - 1);
    expect(list.shots[1]!.cleanEnd).toBeLessThanOrEqual(fade.start + 1);
    expect(pids.every(processIsGone)).toBe(true);
  });

  it('does not cut a fast pan across a still (camera motion), at 29.97 fps with audio', async () => {
    await makeShotClip(file('pan.mp4'), {
      rate: '30000/1001',
      width: 96,
      height: 54,
      audio: true,
      shots: [{ source: 'pan', frames: 120 }],
      transitions: [],
    });
    const list = await detectShots(file('pan.mp4'));
    expect(list.shots).toHaveLength(1);
    expect(list.frameRate).toBeCloseTo(30000 / 1001, 6);
  });

  it('honours the threshold and the minimum shot length', async () => {
    const strict = await detectShots(file('three.mp4'), { threshold: 255 });
    expect(strict.shots.map((shot) => shot.transitionIn?.type ?? null)).not.toContain('cut');
    const long = await detectShots(file('three.mp4'), { minShotSeconds: 2 });
    expect(long.shots.length).toBeLessThan(4);
  });

  it('refuses a file that is not there with media_not_found, before starting ffprobe', async () => {
    const pids: number[] = [];
    const detection = detectShots(file('no-such-clip.mp4'), {}, { onProcessSpawn: (pid) => pids.push(pid) });
    await expect(detection).rejects.toBeInstanceOf(MediaNotFoundError);
    await expect(detection).rejects.toThrow(/^The media file does not exist\.$/);
    expect(pids).toEqual([]);
  });

  it('refuses a 4-hour clip from its metadata, before decoding', async () => {
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=16x16:r=1/60:d=14400',
      '-c:v',
      'libx264',
      file('long.mp4'),
    ]);
    const pids: number[] = [];
    const detection = detectShots(file('long.mp4'), {}, { onProcessSpawn: (pid) => pids.push(pid) });
    await expect(detection).rejects.toBeInstanceOf(MediaTooLargeError);
    await expect(detection).rejects.toThrow(/lasts 14400\.0 s/);
    expect(pids).toHaveLength(1); // ffprobe only
    expect(pids.every(processIsGone)).toBe(true);
  });

  it('refuses a clip of 10,000 one-frame shots', async () => {
    // Red and dark cyan alternate every frame: each frame is a new shot.
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      "color=s=32x18:r=50:d=200,geq=r='if(mod(N\\,2)\\,0\\,255)':g='if(mod(N\\,2)\\,100\\,0)':b='if(mod(N\\,2)\\,100\\,0)'",
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      file('strobe.mp4'),
    ]);
    const pids: number[] = [];
    const detection = detectShots(
      file('strobe.mp4'),
      { minShotSeconds: 0 },
      { onProcessSpawn: (pid) => pids.push(pid) },
    );
    await expect(detection).rejects.toBeInstanceOf(MediaTooLargeError);
    await expect(detection).rejects.toThrow(/has 10000 shots; the limit is 999/);
    expect(pids.every(processIsGone)).toBe(true);
  }, 30_000);

  it('reports a truncated file as corrupt', async () => {
    const bytes = await readFile(file('three.mp4'));
    // Cut before the index (moov, at the end without faststart): unreadable.
    await writeFile(file('cut-index.mp4'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(detectShots(file('cut-index.mp4'))).rejects.toBeInstanceOf(CorruptMediaError);
    // Index first, media data cut short: the index promises frames the file does not hold.
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-i',
      file('three.mp4'),
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      file('fast.mp4'),
    ]);
    const fast = await readFile(file('fast.mp4'));
    await writeFile(file('cut-data.mp4'), fast.subarray(0, Math.floor(fast.length * 0.5)));
    const pids: number[] = [];
    await expect(
      detectShots(file('cut-data.mp4'), {}, { onProcessSpawn: (pid) => pids.push(pid) }),
    ).rejects.toBeInstanceOf(CorruptMediaError);
    expect(pids.every(processIsGone)).toBe(true);
  });

  it('kills ffmpeg when aborted mid-decode', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const detection = detectShots(
      file('strobe.mp4'),
      {},
      {
        signal: controller.signal,
        onProcessSpawn: (pid) => {
          pids.push(pid);
          // The second process is the decoder (after ffprobe).
          if (pids.length === 2) setTimeout(() => controller.abort(), 20);
        },
      },
    );
    await expect(detection).rejects.toBeInstanceOf(MediaAbortedError);
    expect(pids).toHaveLength(2);
    expect(pids.every(processIsGone)).toBe(true);
  });
});
