// Clips with known shot boundaries, made with ffmpeg's lavfi sources (offline, deterministic, tiny):
// shots of different content joined by hard cuts, fades through black and cross-dissolves (xfade), at
// a chosen frame rate, with or without an audio track. Used by the shot-detection tests and by
// bench/shot-boundaries.ts. Frame counts are exact: every source is trimmed by frames, not seconds.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SHOT_SOURCES = [
  'testsrc2',
  'mandelbrot',
  'smptehdbars',
  'life',
  'cellauto',
  'noise-red',
  'noise-blue',
  'noise-green',
  'rgbtestsrc',
  'pan',
] as const;
export type ShotSource = (typeof SHOT_SOURCES)[number];

export type ClipTransition = 'cut' | 'fade' | 'dissolve';

export interface ClipShot {
  source: ShotSource;
  /** Frames of the shot itself (before a dissolve overlaps it with the next). */
  frames: number;
}

export interface ClipPlan {
  /** ffmpeg rate, e.g. "24", "25", "30000/1001". */
  rate: string;
  width: number;
  height: number;
  shots: ClipShot[];
  /** transitions[i] joins shots[i] and shots[i + 1]. */
  transitions: { type: ClipTransition; frames: number }[];
  audio?: boolean;
}

export interface KnownBoundary {
  type: ClipTransition;
  /** Frames of the transition in the output, [start, end); a cut: the first frame of the new shot twice. */
  start: number;
  end: number;
}

/** The lavfi source of one shot: `frames` frames at `rate`, `size`, yuv420p. */
function sourceFilter(source: ShotSource, rate: string, width: number, height: number, seed: number): string {
  const size = `s=${width}x${height}:r=${rate}`;
  switch (source) {
    case 'testsrc2':
      return `testsrc2=${size}`;
    case 'mandelbrot':
      return `mandelbrot=${size}:start_scale=${2 + seed * 0.1}`;
    case 'smptehdbars':
      return `smptehdbars=${size}`;
    case 'life':
      return `life=${size}:seed=${seed}:ratio=0.3:mold=5:life_color=#40c040:death_color=#202060`;
    case 'cellauto':
      return `cellauto=${size}:rule=${[30, 110, 90, 150][seed % 4]}:seed=${seed}`;
    case 'rgbtestsrc':
      return `rgbtestsrc=${size}`;
    case 'noise-red':
      return `color=c=0xb03020:${size},noise=alls=24:allf=t+u:all_seed=${seed}`;
    case 'noise-blue':
      return `color=c=0x2040b0:${size},noise=alls=24:allf=t+u:all_seed=${seed}`;
    case 'noise-green':
      return `color=c=0x30a050:${size},noise=alls=24:allf=t+u:all_seed=${seed}`;
    case 'pan':
      // A camera pan: a crop sliding fast across a large still.
      return (
        `mandelbrot=s=${width * 6}x${height * 3}:r=${rate}:start_scale=1.5,trim=end_frame=1,loop=loop=-1:size=1,` +
        // x swings across the still and back (up to 1/10 of the frame per frame), y bobs like a handheld camera.
        `crop=${width * 2}:${height * 2}:x='${width * 2}-${width * 2}*cos(n/10)':y='${height / 2}+${height / 2}*sin(n/9)',` +
        `scale=${width}:${height}`
      );
  }
}

/** The filtergraph and the known boundaries of `plan` (output frame numbers). */
export function clipFilterGraph(plan: ClipPlan): { graph: string; boundaries: KnownBoundary[]; frames: number } {
  const chains: string[] = [];
  plan.shots.forEach((shot, index) => {
    const before = plan.transitions[index - 1];
    const after = plan.transitions[index];
    let chain = `${sourceFilter(shot.source, plan.rate, plan.width, plan.height, index + 1)},format=yuv420p,trim=end_frame=${shot.frames},setpts=PTS-STARTPTS`;
    // Fades are drawn inside each shot's own frames (out at its end, in at its start).
    if (after?.type === 'fade') chain += `,fade=t=out:s=${shot.frames - after.frames}:n=${after.frames}`;
    if (before?.type === 'fade') chain += `,fade=t=in:s=0:n=${before.frames}`;
    chains.push(`${chain},settb=AVTB[s${index}]`);
  });
  const boundaries: KnownBoundary[] = [];
  let label = 's0';
  let length = plan.shots[0]!.frames;
  const [numerator, denominator] = plan.rate.split('/').map(Number) as [number, number | undefined];
  const fps = numerator / (denominator ?? 1);
  for (let index = 1; index < plan.shots.length; index++) {
    const transition = plan.transitions[index - 1]!;
    const next = plan.shots[index]!;
    const out = `j${index}`;
    if (transition.type === 'dissolve') {
      const offset = (length - transition.frames) / fps;
      chains.push(
        `[${label}][s${index}]xfade=transition=fade:duration=${transition.frames / fps}:offset=${offset}[${out}]`,
      );
      boundaries.push({ type: 'dissolve', start: length - transition.frames, end: length });
      length += next.frames - transition.frames;
    } else {
      chains.push(`[${label}][s${index}]concat=n=2:v=1:a=0[${out}]`);
      boundaries.push(
        transition.type === 'cut'
          ? { type: 'cut', start: length, end: length }
          : { type: 'fade', start: length - transition.frames, end: length + transition.frames },
      );
      length += next.frames;
    }
    label = out;
  }
  chains.push(`[${label}]null[video]`);
  return { graph: chains.join(';'), boundaries, frames: length };
}

/** Writes the clip to `path` (H.264 in MP4, AAC audio when asked) and returns its known boundaries. */
export async function makeShotClip(
  path: string,
  plan: ClipPlan,
): Promise<{ boundaries: KnownBoundary[]; frames: number }> {
  const { graph, boundaries, frames } = clipFilterGraph(plan);
  const audio = plan.audio === true;
  const args = ['-nostdin', '-v', 'error', '-y'];
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=22050');
  args.push('-filter_complex', graph, '-map', '[video]');
  if (audio) args.push('-map', '0:a', '-c:a', 'aac', '-shortest');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '20', '-pix_fmt', 'yuv420p', '-r', plan.rate, path);
  await run('ffmpeg', args, { maxBuffer: 16 * 1024 * 1024 });
  return { boundaries, frames };
}
