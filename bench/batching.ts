// bench/batching (issue 4): generated tokens/s with 1, 2, 4, 8 concurrent requests through the
// engine (continuous batching), and the ratio to 1; beside it, the limit: how onnxruntime's own
// int4 matrix product scales with batch rows on the same decoder shape, measured in the same run.
// "Steady decode" counts only the tokens produced while every request of the level is decoding
// (after the last first token, up to the first last token): the decode rate without prefill.
// The kernel is quantized as the folder's q4 graphs were (its shotvl.json; else the converter's
// default), so the limit matches the model measured.
//
//   npx tsx bench/batching.ts <model-dir> [--tokens 16] [--concurrency 1,2,4,8] [--dtype q4-int8]
import * as ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';
import { GraphBuilder, MICROSOFT_DOMAIN } from '../src/convert/onnx/graph-builder.js';
import { ElementType, attribute } from '../src/convert/onnx/onnx-types.js';
import { quantizeQ4 } from '../src/convert/quantize-q4.js';
import { DEFAULT_Q4_SETTINGS } from '../src/convert/convert-checkpoint.js';
import type { Q4Settings } from '../src/convert/qwen2-5-vl/weight-format.js';
import { readModelConfig } from '../src/model-format/read-model-config.js';
import { isLoadFormat, MANIFEST_FILE_NAME, type LoadFormat } from '../src/model-format/model-files.js';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEngine, greedy, steadyDecodeRate, timeRequest } from './bench-engine.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tokens: { type: 'string', default: '16' },
    concurrency: { type: 'string', default: '1,2,4,8' },
    dtype: { type: 'string' },
  },
});
function fail(usage: string): never {
  throw new Error(usage);
}
const modelDir: string = positionals[0] ?? fail('usage: npx tsx bench/batching.ts <model-dir>');
const tokens = Number(values.tokens);
const levels = values.concurrency.split(',').map(Number);

/** The q4 settings the folder was converted with (its manifest), else the converter's default. */
function folderQ4Settings(): Q4Settings {
  const manifest = join(modelDir, MANIFEST_FILE_NAME);
  if (!existsSync(manifest)) return DEFAULT_Q4_SETTINGS;
  const q4 = (JSON.parse(readFileSync(manifest, 'utf8')) as { q4?: Partial<Q4Settings> }).q4;
  return { ...DEFAULT_Q4_SETTINGS, ...q4 };
}
const q4Settings = folderQ4Settings();

/** Seconds per call of one MatMulNBits (the fused gate/up projection of a decoder layer) at M rows. */
async function matmulScaling(rows: number[]): Promise<Map<number, number>> {
  const text = readModelConfig(modelDir).text;
  const k = text.hiddenSize;
  const n = 2 * text.intermediateSize;
  const directory = mkdtempSync(join(tmpdir(), 'bench-batching-'));
  const graph = new GraphBuilder({ graphName: 'matmul', directory, fileName: 'matmul.onnx', producerVersion: 'bench' });
  const weight = new Float32Array(n * k).map((_, index) => Math.sin(index) * 0.02);
  const q = quantizeQ4(weight, n, k, { blockSize: q4Settings.blockSize, symmetric: q4Settings.symmetric });
  const input = graph.input('a', ElementType.float32, ['m', k]);
  const packed = graph.weight('b', ElementType.uint8, [n, q.nBlocks, q4Settings.blockSize / 2], q.packed);
  const scales = graph.weight('scales', ElementType.float32, [n * q.nBlocks], new Uint8Array(q.scales.buffer));
  const zeros =
    q.zeroPoints === undefined ? [] : [graph.weight('zeros', ElementType.uint8, [q.zeroPoints.length], q.zeroPoints)];
  const output = graph.op1(
    'MatMulNBits',
    [input, packed, scales, ...zeros],
    {
      K: attribute.int(k),
      N: attribute.int(n),
      bits: attribute.int(4),
      block_size: attribute.int(q4Settings.blockSize),
      accuracy_level: attribute.int(q4Settings.accuracyLevel),
    },
    MICROSOFT_DOMAIN,
  );
  graph.output('y', output, ElementType.float32, ['m', n]);
  graph.save();
  const session = await ort.InferenceSession.create(join(directory, 'matmul.onnx'), { intraOpNumThreads: 2 });
  const times = new Map<number, number>();
  for (const m of rows) {
    const feed = { a: new ort.Tensor('float32', new Float32Array(m * k).fill(0.1), [m, k]) };
    for (let warm = 0; warm < 3; warm += 1) await session.run(feed);
    const samples: number[] = [];
    for (let round = 0; round < 15; round += 1) {
      const started = performance.now();
      await session.run(feed);
      samples.push((performance.now() - started) / 1000);
    }
    times.set(m, samples.sort((a, b) => a - b)[7]!);
  }
  await session.release();
  rmSync(directory, { recursive: true, force: true });
  return times;
}

if (values.dtype !== undefined && !isLoadFormat(values.dtype)) throw new Error(`unknown --dtype ${values.dtype}`);
const { engine, close } = await benchEngine(
  modelDir,
  { maxRunningSequences: Math.max(...levels) },
  values.dtype as LoadFormat | undefined,
);
await timeRequest(engine, [{ role: 'user', content: 'warm up' }], greedy(2));
const rates = new Map<number, number>();
const decodeRates = new Map<number, number>();
for (const concurrency of levels) {
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: concurrency }, (_, index) =>
      timeRequest(
        engine,
        [{ role: 'user', content: `Describe shot number ${index + 1} of the film in detail.` }],
        greedy(tokens),
        `batching-${concurrency}-${index}`,
      ),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  rates.set(concurrency, results.reduce((sum, result) => sum + result.completionTokens, 0) / seconds);
  decodeRates.set(concurrency, steadyDecodeRate(results).tokensPerSecond);
}
await close();
const matmul = await matmulScaling(levels);
console.log(
  `batching bench: ${modelDir}, ${tokens} generated tokens per request; kernel at q4 block ${q4Settings.blockSize}${q4Settings.symmetric ? ' (symmetric)' : ''}`,
);
console.log(
  '| concurrent | engine tokens/s (prefill included) | vs 1 | steady decode tokens/s (all decoding) | vs 1 | MatMulNBits rows/s (gate+up, M rows) | vs 1 |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const concurrency of levels) {
  const rate = rates.get(concurrency)!;
  const rowsPerSecond = concurrency / matmul.get(concurrency)!;
  console.log(
    `| ${concurrency} | ${rate.toFixed(2)} | ${(rate / rates.get(levels[0]!)!).toFixed(2)}x | ${decodeRates.get(concurrency)!.toFixed(2)} | ${(decodeRates.get(concurrency)! / decodeRates.get(levels[0]!)!).toFixed(2)}x | ${rowsPerSecond.toFixed(0)} | ${(rowsPerSecond / (levels[0]! / matmul.get(levels[0]!)!)).toFixed(2)}x |`,
  );
}
