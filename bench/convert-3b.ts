// Issue 2's conversion figures: `shotvl make-tiny --preset 3b` (ShotVL-3B's exact shapes, random
// BF16 weights, ~7.5 GB) then `shotvl convert --dtype q4`, each in its own child process under GNU
// time, with wall time, peak RSS and the sizes of what they wrote. The bar: the q4
// conversion stays under 8 GiB of memory.
//
//   npx tsx bench/convert-3b.ts                      writes .tmp/3b and .tmp/3b-q4
//   npx tsx bench/convert-3b.ts --reuse-checkpoint   skips make-tiny when .tmp/3b exists
//   npx tsx bench/convert-3b.ts --work-dir DIR --dtype fp32,q4
//
// Long on a 2-core machine (minutes for each step): run it with nohup. Child output goes to
// <work-dir>/logs/*.log.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gibibytes, runMeasured, tsxCommand, type ChildMeasurement } from './measure-child.js';

const MEMORY_LIMIT_BYTES = 8 * 1024 ** 3;
const repositoryRoot = resolve(import.meta.dirname, '..');
const cli = join(repositoryRoot, 'src/cli/main.ts');

const { values } = parseArgs({
  options: {
    'work-dir': { type: 'string', default: join(repositoryRoot, '.tmp') },
    dtype: { type: 'string', default: 'q4' },
    'reuse-checkpoint': { type: 'boolean', default: false },
  },
});
const workDir = resolve(values['work-dir']);
const checkpointDir = join(workDir, '3b');
const modelDir = join(workDir, `3b-${values.dtype.replace(/,/g, '-')}`);
const logDir = join(workDir, 'logs');
mkdirSync(logDir, { recursive: true });

function folderBytes(folder: string): number {
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

async function step(name: string, args: string[]): Promise<ChildMeasurement> {
  const log = join(logDir, `${name}.log`);
  process.stderr.write(`${name}: shotvl ${args.join(' ')} (log ${log})\n`);
  const measured = await runMeasured(tsxCommand(cli, args), log);
  if (measured.exitCode !== 0) throw new Error(`${name} exited with ${measured.exitCode}; see ${log}`);
  process.stderr.write(`${name}: ${measured.seconds.toFixed(0)} s, peak RSS ${gibibytes(measured.maxRssBytes)} GiB\n`);
  return measured;
}

const rows: string[] = [];
if (!(values['reuse-checkpoint'] && existsSync(join(checkpointDir, 'config.json')))) {
  const made = await step('make-tiny-3b', ['make-tiny', checkpointDir, '--preset', '3b', '--force']);
  rows.push(
    `| make-tiny --preset 3b | ${made.seconds.toFixed(0)} | ${gibibytes(made.maxRssBytes)} | ${gibibytes(folderBytes(checkpointDir))} (checkpoint) |`,
  );
}
const converted = await step(`convert-3b-${values.dtype}`, [
  'convert',
  checkpointDir,
  modelDir,
  '--dtype',
  values.dtype,
  '--overwrite',
]);
rows.push(
  `| convert --dtype ${values.dtype} | ${converted.seconds.toFixed(0)} | ${gibibytes(converted.maxRssBytes)} | ${gibibytes(folderBytes(modelDir))} (model folder) |`,
);

const cpus = (await import('node:os')).cpus();
console.log(
  `\n3b preset conversion, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}\n`,
);
console.log('| step | wall s | peak RSS GiB | output GiB |');
console.log('|---|---:|---:|---:|');
for (const row of rows) console.log(row);
console.log('\n| file | MiB |\n|---|---:|');
for (const name of readdirSync(join(modelDir, 'onnx')).sort()) {
  console.log(`| onnx/${name} | ${(statSync(join(modelDir, 'onnx', name)).size / 1024 ** 2).toFixed(1)} |`);
}
const within = converted.maxRssBytes < MEMORY_LIMIT_BYTES;
console.log(
  `\nq4 conversion peak RSS ${gibibytes(converted.maxRssBytes)} GiB ${within ? '<' : '>='} 8 GiB: ${within ? 'within' : 'OVER'} the issue's limit`,
);
