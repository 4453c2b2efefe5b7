// Before/after: one benchmark run alternately from another checkout of the repository (the commit
// before a change, with its own `npm ci`) and from this one, in one session, so that the ratio
// compares like with like on a machine whose speed drifts. Rounds alternate which side goes first
// (before/after, then after/before, ...); each run is a fresh child process running that tree's own
// copy of the benchmark on the same model folder. Prints each round's figures and, per figure, the
// median of the per-round ratios after/before (oriented so that above 1 is faster) and their range.
//
//   git worktree add --detach ../before <commit> && (cd ../before && npm ci)
//   npx tsx bench/before-after.ts --before ../before [--rounds 8] -- batching.ts <model-dir> --tokens 32 --concurrency 1,8
//   npx tsx bench/before-after.ts --before ../before --rounds 6 -- shot-cache.ts <model-dir>
//
// Understands the figures of bench/batching.ts (engine tokens/s per concurrency, higher is better)
// and bench/shot-cache.ts (seconds for one and for seven questions, lower is better).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface Figure {
  name: string;
  value: number;
  /** Whether a larger value is better (tokens/s) or worse (seconds). */
  higherIsBetter: boolean;
}

/** The figures a benchmark printed, by the benchmark's file name. */
const FIGURE_READERS: Record<string, (stdout: string) => Figure[]> = {
  'batching.ts': (stdout) =>
    [...stdout.matchAll(/^\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|/gm)].map((match) => ({
      name: `${match[1]} concurrent, engine tokens/s`,
      value: Number(match[2]),
      higherIsBetter: true,
    })),
  'shot-cache.ts': (stdout) => {
    const match = /one question: ([\d.]+) s; (\d+) questions: ([\d.]+) s/.exec(stdout);
    if (match === null) return [];
    return [
      { name: 'one question, s', value: Number(match[1]), higherIsBetter: false },
      { name: `${match[2]} questions, s`, value: Number(match[3]), higherIsBetter: false },
    ];
  },
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { before: { type: 'string' }, rounds: { type: 'string', default: '6' } },
});
const [benchmark, ...benchmarkArgs] = positionals;
const readFigures = benchmark === undefined ? undefined : FIGURE_READERS[benchmark];
if (values.before === undefined || readFigures === undefined)
  throw new Error(
    `usage: npx tsx bench/before-after.ts --before <checkout> [--rounds N] -- <${Object.keys(FIGURE_READERS).join('|')}> <args...>`,
  );
const trees = { before: resolve(values.before), after: resolve(import.meta.dirname, '..') };
for (const tree of Object.values(trees))
  if (!existsSync(join(tree, 'node_modules')) || !existsSync(join(tree, 'bench', benchmark!)))
    throw new Error(`${tree} needs node_modules (npm ci) and bench/${benchmark}`);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error('--rounds must be a positive integer (even: each side goes first as often)');
// Each run's working folder is its own tree: paths given relative to here are made absolute first.
const runArgs = benchmarkArgs.map((arg) => (!arg.startsWith('-') && existsSync(arg) ? resolve(arg) : arg));

/** One run of the benchmark from `tree`'s own copy, in a fresh process. */
function runIn(tree: string): Promise<Figure[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', benchmark!), ...runArgs], {
      cwd: tree,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const figures = readFigures!(stdout);
      if (code !== 0 || figures.length === 0)
        reject(new Error(`bench/${benchmark} in ${tree} exited ${code} with no figures:\n${stdout}`));
      else resolvePromise(figures);
    });
  });
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const results: { before: Figure[]; after: Figure[] }[] = [];
for (let round = 1; round <= rounds; round += 1) {
  const order: ('before' | 'after')[] = round % 2 === 1 ? ['before', 'after'] : ['after', 'before'];
  const figures: Partial<Record<'before' | 'after', Figure[]>> = {};
  for (const side of order) {
    console.error(`round ${round}/${rounds}: ${side} (${trees[side]})`);
    figures[side] = await runIn(trees[side]);
  }
  const names = (side: Figure[]) => side.map((figure) => figure.name).join(', ');
  if (names(figures.before!) !== names(figures.after!))
    throw new Error(`the trees printed different figures: ${names(figures.before!)} / ${names(figures.after!)}`);
  results.push(figures as { before: Figure[]; after: Figure[] });
  const line = figures.after!.map(
    (figure, index) => `${figure.name} ${figures.before![index]!.value} -> ${figure.value}`,
  );
  console.log(`round ${round} (${order.join(' first, ')} second): ${line.join('; ')}`);
}

console.log(
  `\nbench/${benchmark} ${runArgs.join(' ')}: before ${trees.before}, after ${trees.after}, ${rounds} rounds`,
);
console.log('| figure | before (median) | after (median) | speed after / before (median of rounds) | range |');
console.log('|---|---:|---:|---:|---:|');
for (const [index, figure] of results[0]!.after.entries()) {
  const before = results.map((result) => result.before[index]!.value);
  const after = results.map((result) => result.after[index]!.value);
  // Oriented so that above 1 means the after tree is faster.
  const ratios = results.map((_, round) =>
    figure.higherIsBetter ? after[round]! / before[round]! : before[round]! / after[round]!,
  );
  const range = `${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}`;
  console.log(
    `| ${figure.name} | ${median(before).toFixed(2)} | ${median(after).toFixed(2)} | ${median(ratios).toFixed(3)}x | ${range} |`,
  );
}
