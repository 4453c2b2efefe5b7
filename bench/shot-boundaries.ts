// bench/shot-boundaries (issue 14): shot-boundary detection on a generated clip set with known cuts.
// Clips of ffmpeg lavfi sources of different content (testsrc2, mandelbrot, smptehdbars, life,
// cellauto, rgbtestsrc, colour fields with noise) joined by hard cuts, fades through black and
// cross-dissolves, at 24, 25 and 29.97 fps, with and without audio; plus single-shot clips of a fast
// pan across a large still, which must not be cut. Prints precision and recall per transition type
// (a hit: within one frame of a cut, inside a gradual transition give or take one frame), then the
// detection cost on a 1080p clip in seconds per minute of source.
//
//   npx tsx bench/shot-boundaries.ts [--seeds 3] [--cost-seconds 20] [--threshold 27]
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { mergeMediaLimits } from '../src/media/media-limits.js';
import { detectShots } from '../src/media/shot-detection/detect-shots.js';
import {
  makeShotClip,
  SHOT_SOURCES,
  type ClipPlan,
  type ClipTransition,
  type KnownBoundary,
  type ShotSource,
} from '../tests/helpers/shot-clips.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    'cost-seconds': { type: 'string', default: '20' },
    threshold: { type: 'string' },
  },
});
const threshold = values.threshold === undefined ? undefined : Number(values.threshold);

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTENT: ShotSource[] = SHOT_SOURCES.filter((source) => source !== 'pan');

function plan(rate: string, fps: number, audio: boolean, seed: number): ClipPlan {
  const next = random(seed * 7919 + Math.round(fps * 100) + (audio ? 1 : 0));
  const shots: ClipPlan['shots'] = [];
  const transitions: ClipPlan['transitions'] = [];
  let previous: ShotSource | undefined;
  for (let index = 0; index < 9; index++) {
    const choices = CONTENT.filter((source) => source !== previous);
    const source = choices[Math.floor(next() * choices.length)]!;
    previous = source;
    shots.push({ source, frames: Math.round(fps * (1.6 + next() * 1.6)) });
    if (index < 8) {
      // Half the joins are hard cuts, a quarter each fades and dissolves of 0.3-0.8 s.
      const roll = next();
      const type: ClipTransition = roll < 0.5 ? 'cut' : roll < 0.75 ? 'fade' : 'dissolve';
      transitions.push({ type, frames: type === 'cut' ? 0 : Math.round(fps * (0.3 + next() * 0.5)) });
    }
  }
  return { rate, width: 160, height: 90, shots, transitions, audio };
}

interface Tally {
  truth: number;
  found: number;
  falsePositives: number;
}

const tallies: Record<ClipTransition, Tally> = {
  cut: { truth: 0, found: 0, falsePositives: 0 },
  fade: { truth: 0, found: 0, falsePositives: 0 },
  dissolve: { truth: 0, found: 0, falsePositives: 0 },
};
let typedRight = 0;
let matchedTotal = 0;

function hits(truth: KnownBoundary, boundary: number): boolean {
  return truth.type === 'cut'
    ? Math.abs(boundary - truth.start) <= 1
    : boundary >= truth.start - 1 && boundary <= truth.end + 1;
}

function score(known: KnownBoundary[], detected: { boundary: number; type: ClipTransition }[]): string[] {
  const used = new Set<number>();
  const misses: string[] = [];
  for (const truth of known) tallies[truth.type].truth += 1;
  for (const found of detected) {
    const index = known.findIndex((truth, i) => !used.has(i) && hits(truth, found.boundary));
    if (index < 0) {
      tallies[found.type].falsePositives += 1;
      misses.push(`false ${found.type} at ${found.boundary}`);
      continue;
    }
    used.add(index);
    const truth = known[index]!;
    tallies[truth.type].found += 1;
    matchedTotal += 1;
    if (truth.type === found.type) typedRight += 1;
  }
  known.forEach((truth, i) => {
    if (!used.has(i)) misses.push(`missed ${truth.type} ${truth.start}-${truth.end}`);
  });
  return misses;
}

/**
 * CPU seconds used so far by this process and its reaped children (ffmpeg): /proc/self/stat utime,
 * stime, cutime, cstime, in clock ticks (100 per second on Linux). Unlike wall time, not inflated by
 * the machine's other jobs.
 */
async function cpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of stat(5); the slice starts at field 3.
  return fields.slice(11, 15).reduce((sum, value) => sum + Number(value), 0) / 100;
}

const folder = await mkdtemp(join(tmpdir(), 'shotvl-bench-shots-'));
try {
  const rates = [
    ['24', 24],
    ['25', 25],
    ['30000/1001', 30000 / 1001],
  ] as const;
  let clips = 0;
  for (const [rate, fps] of rates) {
    for (const audio of [false, true]) {
      for (let seed = 1; seed <= Number(values.seeds); seed++) {
        const clipPlan = plan(rate, fps, audio, seed);
        const path = join(folder, `clip-${clips++}.mp4`);
        const { boundaries } = await makeShotClip(path, clipPlan);
        const list = await detectShots(path, threshold === undefined ? {} : { threshold });
        const detected = list.shots.slice(1).map((shot) => ({ boundary: shot.start, type: shot.transitionIn!.type }));
        const misses = score(boundaries, detected);
        const summary = clipPlan.shots.map((shot) => shot.source).join(' ');
        console.log(`${rate.padEnd(10)} audio=${audio ? 'yes' : 'no '} seed=${seed}  ${summary}`);
        if (misses.length > 0) console.log(`    ${misses.join('; ')}`);
      }
    }
  }

  // Single shots of fast camera-like motion: any boundary is a false one.
  let panFalse = 0;
  for (const [rate, fps] of rates) {
    const path = join(folder, `pan-${fps.toFixed(0)}.mp4`);
    await makeShotClip(path, {
      rate,
      width: 160,
      height: 90,
      shots: [{ source: 'pan', frames: Math.round(fps * 6) }],
      transitions: [],
    });
    const list = await detectShots(path, threshold === undefined ? {} : { threshold });
    panFalse += list.shots.length - 1;
    if (list.shots.length > 1)
      console.log(
        `pan ${rate}: ${list.shots
          .slice(1)
          .map((shot) => `${shot.transitionIn!.type} at ${shot.start}`)
          .join('; ')}`,
      );
  }

  console.log('');
  console.log('| transition | true | found | false | precision | recall |');
  console.log('|---|---:|---:|---:|---:|---:|');
  let truthAll = 0;
  let foundAll = 0;
  let falseAll = 0;
  for (const type of ['cut', 'fade', 'dissolve'] as const) {
    const tally = tallies[type];
    truthAll += tally.truth;
    foundAll += tally.found;
    falseAll += tally.falsePositives;
    const precision = tally.found / Math.max(1, tally.found + tally.falsePositives);
    const recall = tally.found / Math.max(1, tally.truth);
    console.log(
      `| ${type} | ${tally.truth} | ${tally.found} | ${tally.falsePositives} | ${precision.toFixed(3)} | ${recall.toFixed(3)} |`,
    );
  }
  console.log(
    `| all | ${truthAll} | ${foundAll} | ${falseAll} | ${(foundAll / Math.max(1, foundAll + falseAll)).toFixed(3)} | ${(foundAll / Math.max(1, truthAll)).toFixed(3)} |`,
  );
  console.log(
    `\n${clips} clips; transition type right for ${typedRight} of ${matchedTotal} hits; ` +
      `fast pans (3 clips, 6 s each): ${panFalse} false boundaries`,
  );

  // Cost: a 1080p H.264 clip with a cut every 2 s; decoding is most of it.
  const costSeconds = Number(values['cost-seconds']);
  const sources: ShotSource[] = ['testsrc2', 'mandelbrot', 'smptehdbars', 'life', 'noise-blue'];
  const costShots = Array.from({ length: Math.ceil(costSeconds / 2) }, (_, index) => ({
    source: sources[index % sources.length]!,
    frames: 50,
  }));
  const costPath = join(folder, 'cost-1080p.mp4');
  await makeShotClip(costPath, {
    rate: '25',
    width: 1920,
    height: 1080,
    shots: costShots,
    transitions: costShots.slice(1).map(() => ({ type: 'cut' as const, frames: 0 })),
  });
  // Plain decoding of the same file, in the same run: the floor detection cannot go below.
  const decodeCpu = await cpuSeconds();
  const decodeStarted = performance.now();
  await promisify(execFile)('ffmpeg', ['-nostdin', '-v', 'error', '-i', costPath, '-an', '-f', 'null', '-']);
  const decodeSeconds = (performance.now() - decodeStarted) / 1000;
  const decodeCpuSeconds = (await cpuSeconds()) - decodeCpu;
  const detectCpu = await cpuSeconds();
  const started = performance.now();
  const costList = await detectShots(costPath, {}, { mediaLimits: mergeMediaLimits({ maxInputBytes: 2 ** 31 }) });
  const seconds = (performance.now() - started) / 1000;
  const cpu = (await cpuSeconds()) - detectCpu;
  const perMinute = (value: number) => ((value / costList.durationSeconds) * 60).toFixed(1);
  console.log(
    `1080p25 H.264, ${costList.durationSeconds.toFixed(1)} s, ${costList.shots.length} shots, load average ${loadavg()[0]!.toFixed(1)}:\n` +
      `  detection: ${seconds.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU = ${perMinute(seconds)} s wall, ${perMinute(cpu)} s CPU per minute of source\n` +
      `  plain ffmpeg decoding of the same file: ${decodeSeconds.toFixed(2)} s wall, ${decodeCpuSeconds.toFixed(2)} s CPU ` +
      `(detection / decoding: ${(seconds / decodeSeconds).toFixed(2)}x wall, ${(cpu / decodeCpuSeconds).toFixed(2)}x CPU)`,
  );
} finally {
  await rm(folder, { recursive: true, force: true });
}
