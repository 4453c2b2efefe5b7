// bench/profile-decode (issue 12): where a decode step's time goes. Opens one decoder graph of a
// model folder with onnxruntime's profiler on, runs decode steps at each batch size over a KV
// cache of `--past` positions, and prints per operator type the milliseconds per step and the
// share of the step, batch 1 beside batch 8 (same session, same run). What does not scale with
// the batch (per-row work, copies, operator dispatch) shows as a share that grows.
//
//   npx tsx bench/profile-decode.ts <model-dir> [--format q4] [--batches 1,8] [--past 256] [--steps 8]
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readModelConfig } from '../src/model-format/read-model-config.js';
import { graphPath, isWeightFormat } from '../src/model-format/model-files.js';
import { decodeStepTensors } from './decode-step-tensors.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    format: { type: 'string', default: 'q4' },
    batches: { type: 'string', default: '1,8' },
    past: { type: 'string', default: '256' },
    steps: { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
  },
});
const modelDir = positionals[0];
if (modelDir === undefined || !isWeightFormat(values.format)) {
  throw new Error('usage: npx tsx bench/profile-decode.ts <model-dir> [--format q4] [--batches 1,8] [--past 256]');
}
const text = readModelConfig(modelDir).text;
const batches = values.batches.split(',').map(Number);
const past = Number(values.past);
const steps = Number(values.steps);
const WARMUP_RUNS = 2;

interface ProfileEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string };
}

async function profile(batch: number): Promise<{ stepMs: number; byOp: Map<string, number> }> {
  const directory = mkdtempSync(join(tmpdir(), 'profile-decode-'));
  const session = await ort.InferenceSession.create(
    graphPath(modelDir!, 'decoder_model_merged', values.format as 'q4'),
    {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: Number(values.threads),
      enableProfiling: true,
      profileFilePrefix: join(directory, 'decode'),
    },
  );
  const { feeds: input, fetches } = decodeStepTensors(text, batch, past);
  for (let warm = 0; warm < WARMUP_RUNS; warm += 1) await session.run(input, fetches);
  const started = performance.now();
  for (let step = 0; step < steps; step += 1) await session.run(input, fetches);
  const stepMs = (performance.now() - started) / steps;
  session.endProfiling();
  await session.release();
  const file = onlyProfile(directory);
  const events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
  rmSync(directory, { recursive: true, force: true });
  // Only the timed runs: node events after the warm-up runs ended.
  const runs = events
    .filter((event) => event.cat === 'Session' && event.name === 'model_run')
    .sort((a, b) => a.ts - b.ts);
  const warmedUp = runs[WARMUP_RUNS - 1]!.ts + runs[WARMUP_RUNS - 1]!.dur;
  const byOp = new Map<string, number>();
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time') || event.ts < warmedUp) continue;
    const op = event.args?.op_name ?? 'unknown';
    byOp.set(op, (byOp.get(op) ?? 0) + event.dur / 1000 / steps);
  }
  return { stepMs, byOp };
}

function onlyProfile(directory: string): string {
  const entries = readdirSync(directory).filter((name) => name.endsWith('.json'));
  if (entries.length !== 1) throw new Error(`expected one profile in ${directory}, found ${entries.length}`);
  return join(directory, entries[0]!);
}

const results = new Map<number, { stepMs: number; byOp: Map<string, number> }>();
for (const batch of batches) results.set(batch, await profile(batch));
const ops = [...new Set([...results.values()].flatMap((result) => [...result.byOp.keys()]))];
const base = results.get(batches[0]!)!;
ops.sort((a, b) => (base.byOp.get(b) ?? 0) - (base.byOp.get(a) ?? 0));
console.log(`profile-decode: ${modelDir} ${values.format}, past ${past}, ${steps} steps, ${values.threads} threads`);
console.log(
  `| operator | ${batches.map((b) => `batch ${b} ms/step | share`).join(' | ')} | ms per row vs batch ${batches[0]} |`,
);
console.log(`|---|${batches.map(() => '---:|---:').join('|')}|---:|`);
for (const op of ops) {
  const cells = batches.map((batch) => {
    const result = results.get(batch)!;
    const ms = result.byOp.get(op) ?? 0;
    return `${ms.toFixed(2)} | ${((100 * ms) / result.stepMs).toFixed(1)}%`;
  });
  const last = batches[batches.length - 1]!;
  const perRow = (results.get(last)!.byOp.get(op) ?? 0) / last / ((base.byOp.get(op) ?? 0) / batches[0]! || 1);
  console.log(`| ${op} | ${cells.join(' | ')} | ${perRow.toFixed(2)}x |`);
}
const kernelRows = batches.map((batch) => {
  const result = results.get(batch)!;
  const kernels = [...result.byOp.values()].reduce((a, b) => a + b, 0);
  return `batch ${batch}: step ${result.stepMs.toFixed(1)} ms, kernels ${kernels.toFixed(1)} ms, outside kernels ${(result.stepMs - kernels).toFixed(1)} ms, ${(batch / (result.stepMs / 1000)).toFixed(2)} rows/s`;
});
for (const row of kernelRows) console.log(row);
