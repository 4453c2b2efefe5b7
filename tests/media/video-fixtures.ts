// Test videos made with ffmpeg's lavfi sources at test time (small, deterministic, offline), and a
// check that a child process is gone.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** True when no process with this pid exists any more (it has exited and been reaped). */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
}

/** Decodes every frame of `path` to rgb24 (reference for frame selection). */
export async function decodeAllFrames(path: string, width: number, height: number): Promise<Uint8Array[]> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-nostdin',
      '-v',
      'error',
      '-i',
      path,
      '-fps_mode',
      'passthrough',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    {
      encoding: 'buffer',
      maxBuffer: 512 * 1024 * 1024,
    },
  );
  const frameBytes = width * height * 3;
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset + frameBytes <= stdout.length; offset += frameBytes)
    frames.push(new Uint8Array(stdout.subarray(offset, offset + frameBytes)));
  return frames;
}

export interface VideoFixtures {
  folder: string;
  /** 320×240, 25 fps, 2 s = 50 frames, H.264 with B-frames, moov first (faststart). */
  clip: string;
  /** The same stream with a 90° display rotation. */
  rotated: string;
  /** The same stream in Matroska, which declares no frame count. */
  matroska: string;
  /** Audio only (AAC in MP4). */
  audioOnly: string;
  /** 16×16 at 1 fps for 660 s: longer than the default 10-minute limit. */
  long: string;
  /** 640×480, 25 fps, 10 s: slow enough to abort mid-decode. */
  large: string;
  /** The first 40 % of `clip`: the index promises 50 frames, the data holds fewer. */
  truncated: string;
  /** `clip` without faststart, cut before its index (moov) at the end. */
  truncatedIndex: string;
  empty: string;
  textNamedMp4: string;
  remove(): Promise<void>;
}

export async function makeVideoFixtures(): Promise<VideoFixtures> {
  const folder = await mkdtemp(join(tmpdir(), 'shotvl-video-test-'));
  const file = (name: string) => join(folder, name);
  const x264 = ['-pix_fmt', 'yuv420p', '-c:v', 'libx264'];
  await Promise.all([
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25',
      '-t',
      '2',
      ...x264,
      '-preset',
      'veryfast',
      '-bf',
      '2',
      '-movflags',
      '+faststart',
      file('clip.mp4'),
    ]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=25',
      '-t',
      '2',
      ...x264,
      '-preset',
      'veryfast',
      '-bf',
      '2',
      file('clip-index-last.mp4'),
    ]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', file('audio.mp4')]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:s=16x16:r=1',
      '-t',
      '660',
      ...x264,
      '-preset',
      'ultrafast',
      file('long.mp4'),
    ]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x480:rate=25',
      '-t',
      '10',
      ...x264,
      '-preset',
      'ultrafast',
      file('large.mp4'),
    ]),
  ]);
  await Promise.all([
    ffmpeg(['-i', file('clip.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', file('rotated.mp4')]),
    ffmpeg(['-i', file('clip.mp4'), '-c', 'copy', file('clip.mkv')]),
  ]);
  const clipBytes = await readFile(file('clip.mp4'));
  await writeFile(file('truncated.mp4'), clipBytes.subarray(0, Math.floor(clipBytes.length * 0.4)));
  const indexLast = await readFile(file('clip-index-last.mp4'));
  await writeFile(file('truncated-index.mp4'), indexLast.subarray(0, Math.floor(indexLast.length * 0.6)));
  await writeFile(file('empty.mp4'), new Uint8Array(0));
  await writeFile(file('text.mp4'), 'This is not a video, only text with an .mp4 name.\n'.repeat(20));
  return {
    folder,
    clip: file('clip.mp4'),
    rotated: file('rotated.mp4'),
    matroska: file('clip.mkv'),
    audioOnly: file('audio.mp4'),
    long: file('long.mp4'),
    large: file('large.mp4'),
    truncated: file('truncated.mp4'),
    truncatedIndex: file('truncated-index.mp4'),
    empty: file('empty.mp4'),
    textNamedMp4: file('text.mp4'),
    remove: () => rm(folder, { recursive: true, force: true }),
  };
}
