// bench/decode-step (issue 12): decode steps of several decoder graphs, side by side in one run.
// Each variant is a model folder and a weight format (e.g. q4 at block 32 against q4 at block 128
// symmetric in another folder); all sessions are opened at once and the steps go round-robin
// (one step of each variant per round), so the machine's load changes every variant alike. Between
// rounds the read-bandwidth probe runs (bench/native/read-bandwidth.c, two threads). Per variant:
// median ms per step, tokens/s (rows/s at batch > 1), bytes read per token (the graph's files), the
// GB/s that makes and its fraction of the probe's median.
//
//   npx tsx bench/decode-step.ts <dir>:<format> [<dir>:<format>...] [--batch 1] [--past 256] [--rounds 20]
//        [--option session.intra_op.allow_spinning=0]   (onnxruntime session config entries, repeatable)
import * as ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';
import { readModelConfig } from '../src/model-format/read-model-config.js';
import { graphPath, isWeightFormat, type WeightFormat } from '../src/model-format/model-files.js';
import { decodeGraphBytes, readBandwidth } from './read-bandwidth.js';
import { decodeStepTensors } from './decode-step-tensors.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    batch: { type: 'string', default: '1' },
    past: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
    option: { type: 'string', multiple: true, default: [] },
  },
});
const batch = Number(values.batch);
const past = Number(values.past);
const rounds = Number(values.rounds);
const configEntries = Object.fromEntries(values.option.map((entry) => entry.split('=') as [string, string]));

interface Variant {
  label: string;
  modelDir: string;
  format: WeightFormat;
  session: ort.InferenceSession;
  feeds: Record<string, ort.Tensor>;
  fetches: ort.InferenceSession.FetchesType;
  bytes: number;
  samples: number[];
}

async function openVariant(spec: string): Promise<Variant> {
  const separator = spec.lastIndexOf(':');
  const modelDir = spec.slice(0, separator);
  const format = spec.slice(separator + 1);
  if (separator < 0 || !isWeightFormat(format)) throw new Error(`expected <dir>:<format>, got ${spec}`);
  const text = readModelConfig(modelDir).text;
  const session = await ort.InferenceSession.create(graphPath(modelDir, 'decoder_model_merged', format), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: Number(values.threads),
    extra: configEntries,
  });
  const { feeds, fetches } = decodeStepTensors(text, batch, past);
  const bytes = decodeGraphBytes({ modelDir, format });
  return { label: `${modelDir}:${format}`, modelDir, format, session, feeds, fetches, bytes, samples: [] };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (positionals.length === 0) throw new Error('usage: npx tsx bench/decode-step.ts <dir>:<format> [...]');
const variants: Variant[] = [];
for (const spec of positionals) variants.push(await openVariant(spec));
for (const variant of variants) {
  for (let warm = 0; warm < 2; warm += 1) await variant.session.run(variant.feeds, variant.fetches);
}
const bandwidth: number[] = [];
for (let round = 0; round < rounds; round += 1) {
  for (const variant of variants) {
    const started = performance.now();
    await variant.session.run(variant.feeds, variant.fetches);
    variant.samples.push(performance.now() - started);
  }
  if (round % 5 === 4) bandwidth.push(readBandwidth() ?? Number.NaN);
}
const probe = median(bandwidth);
const base = variants[0]!;
console.log(
  `decode-step: batch ${batch}, past ${past}, ${rounds} rounds round-robin, ${values.threads} threads` +
    `${values.option.length > 0 ? `, session options ${values.option.join(' ')}` : ''}; read probe (2 threads) median ${probe.toFixed(1)} GB/s`,
);
console.log('| variant | ms/step (median) | vs first | tokens/s | GB read per step | GB/s | fraction of probe |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const variant of variants) {
  const ms = median(variant.samples);
  const gigabytes = variant.bytes / 1e9;
  const gbPerSecond = gigabytes / (ms / 1000);
  console.log(
    `| ${variant.label} | ${ms.toFixed(1)} | ${(median(base.samples) / ms).toFixed(2)}x | ${((batch * 1000) / ms).toFixed(2)} | ${gigabytes.toFixed(2)} | ${gbPerSecond.toFixed(1)} | ${((100 * gbPerSecond) / probe).toFixed(0)}% |`,
  );
}
for (const variant of variants) await variant.session.release();
