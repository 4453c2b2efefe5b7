// Decode-shaped matmuls of the ShotVL 3B decoder on onnxruntime's CPU provider: fp32 MatMul
// against MatMulNBits int4 weights (block size x accuracy level) and fp16 weights, all measured
// in one run so the ratios share this (noisy, shared) machine's state.
//
//   npx tsx bench/matmul-q4.ts            all shapes
//   npx tsx bench/matmul-q4.ts --quick    without the 151936-wide lm_head (about 1 GiB of fp32)
//
// Prints a Markdown table: median ms per call with the caches flushed first (cold: what a decode
// step that streams all layers sees) and repeated on cached weights (hot), speed-ups over fp32 at
// the same shape, and the largest output difference relative to the fp32 output's largest
// magnitude.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { float32ToFloat16Bits } from '../src/convert/float16.js';
import { MICROSOFT_DOMAIN } from '../src/convert/onnx/graph-builder.js';
import { ElementType, attribute } from '../src/convert/onnx/onnx-types.js';
import { matMulNBitsDims, quantizeQ4 } from '../src/convert/quantize-q4.js';
import { SeededRandom } from '../src/convert/seeded-random.js';
import { createMatMulSession, type MatMulVariant } from './matmul-session.js';

/** Qwen2.5-VL 3B: hidden 2048, MLP 11008, vocabulary 151936. */
const ALL_SHAPES = [
  { name: 'mlp gate/up', k: 2048, n: 11008 },
  { name: 'mlp down', k: 11008, n: 2048 },
  { name: 'lm_head', k: 2048, n: 151936 },
] as const;
/** Tokens per call: one sequence decoding, and eight decoding together (batched decode). */
const ROW_COUNTS = [1, 8] as const;
const BLOCK_SIZES = [32, 64, 128] as const;
/** 0: unset (the kernel picks), 1: fp32 compute, 4: A quantized to int8 per block (VNNI/AMX). */
const ACCURACY_LEVELS = [0, 1, 4] as const;
const THREADS = 2;
const WARMUP_RUNS = 3;
/** Rounds over each group of sessions; every round times one cold and three hot calls. */
const ROUNDS = 9;
const HOT_RUNS = 3;

const directory = mkdtempSync(join(tmpdir(), 'shotvl-bench-q4-'));

type Variant = MatMulVariant;

/** [n, k] (PyTorch Linear) to [k, n] (ONNX MatMul's B), in tiles to stay in cache. */
function transpose(weight: Float32Array, n: number, k: number): Float32Array {
  const tile = 64;
  const result = new Float32Array(n * k);
  for (let rowTile = 0; rowTile < n; rowTile += tile) {
    for (let columnTile = 0; columnTile < k; columnTile += tile) {
      const rowEnd = Math.min(rowTile + tile, n);
      const columnEnd = Math.min(columnTile + tile, k);
      for (let row = rowTile; row < rowEnd; row += 1) {
        for (let column = columnTile; column < columnEnd; column += 1)
          result[column * n + row] = weight[row * k + column]!;
      }
    }
  }
  return result;
}

function bytesOf(array: Float32Array | Uint16Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function fp32Variant(transposed: Float32Array, n: number, k: number): Variant {
  return {
    label: 'fp32 MatMul',
    build: (graph, input) =>
      graph.op1('MatMul', [input, graph.weight('w', ElementType.float32, [k, n], bytesOf(transposed))]),
  };
}

/**
 * ORT's CPU provider has no fp16 MatMul, so fp16 weights go through a Cast to fp32. ORT folds
 * the Cast of a constant at load (fp32 in memory again) unless the result exceeds 1 GiB, as the
 * lm_head's does: then it casts on every call.
 */
function fp16Variant(transposed: Float32Array, n: number, k: number): Variant {
  return {
    label: 'fp16 weights + Cast',
    build: (graph, input) => {
      const weight = graph.weight('w', ElementType.float16, [k, n], bytesOf(float32ToFloat16Bits(transposed)));
      return graph.op1('MatMul', [input, graph.op1('Cast', [weight], { to: attribute.int(ElementType.float32) })]);
    },
  };
}

function q4Variants(weight: Float32Array, n: number, k: number, blockSize: number): Variant[] {
  const quantized = quantizeQ4(weight, n, k, { blockSize });
  const dims = matMulNBitsDims(quantized);
  return ACCURACY_LEVELS.map((accuracyLevel) => ({
    label: `q4 block ${blockSize} level ${accuracyLevel}`,
    build: (graph, input) => {
      const inputs = [
        input,
        graph.weight('b', ElementType.uint8, dims.packed, quantized.packed),
        graph.weight('scales', ElementType.float32, dims.scales, bytesOf(quantized.scales)),
        graph.weight('zero_points', ElementType.uint8, dims.zeroPoints, quantized.zeroPoints!),
      ];
      const attributes = {
        K: attribute.int(k),
        N: attribute.int(n),
        bits: attribute.int(4),
        block_size: attribute.int(blockSize),
        accuracy_level: attribute.int(accuracyLevel),
      };
      return graph.op1('MatMulNBits', inputs, attributes, MICROSOFT_DOMAIN);
    },
  }));
}

/**
 * The L3 cache here (hundreds of MiB) holds a whole q4 layer, so a matmul repeated on the same
 * weights is faster than in a real decode step, which streams every layer's weights from DRAM.
 * Dirtying one float in every 64-byte line of a buffer larger than that evicts them.
 */
const CACHE_FLUSH_FLOATS = (256 * 1024 * 1024) / 4;
let cacheFlushBuffer: Float32Array | undefined;
function flushCaches(): void {
  cacheFlushBuffer ??= new Float32Array(CACHE_FLUSH_FLOATS);
  for (let index = 0; index < cacheFlushBuffer.length; index += 16) cacheFlushBuffer[index] = index;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One session's timings at one row count, collected over interleaved rounds. */
interface Series {
  variant: string;
  rows: number;
  cold: number[];
  hot: number[];
  output: Float32Array;
  loadSeconds: number;
}

async function timedRun(
  session: ort.InferenceSession,
  input: ort.Tensor,
): Promise<{ milliseconds: number; output: Float32Array }> {
  const start = performance.now();
  const result = await session.run({ a: input });
  return { milliseconds: performance.now() - start, output: result.y!.data as Float32Array };
}

/**
 * Measures a group of sessions round-robin, so a burst of load from the machine's other users
 * hits every variant alike instead of whichever happened to run during it. Each round and row
 * count: a cold call (after a cache flush), then the median of three hot calls.
 */
async function measureGroup(
  sessions: Array<{ variant: string; session: ort.InferenceSession; loadSeconds: number }>,
  inputs: ort.Tensor[],
): Promise<Series[]> {
  const series: Series[] = [];
  for (const { variant, session, loadSeconds } of sessions) {
    for (const [index, input] of inputs.entries()) {
      let output: Float32Array = new Float32Array(0);
      for (let run = 0; run < WARMUP_RUNS; run += 1) output = (await timedRun(session, input)).output;
      series.push({ variant, rows: ROW_COUNTS[index]!, cold: [], hot: [], output, loadSeconds });
    }
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    let position = 0;
    for (const { session } of sessions) {
      for (const input of inputs) {
        const current = series[position]!;
        position += 1;
        flushCaches();
        current.cold.push((await timedRun(session, input)).milliseconds);
        const hot: number[] = [];
        for (let run = 0; run < HOT_RUNS; run += 1) hot.push((await timedRun(session, input)).milliseconds);
        current.hot.push(median(hot));
      }
    }
  }
  return series;
}

/**
 * The median over rounds of fp32 time / variant time, each ratio from one round: the two were
 * timed seconds apart, so the machine's other load mostly cancels out of the ratio.
 */
function pairedSpeedUp(baseline: number[], variant: number[]): number {
  return median(variant.map((milliseconds, round) => baseline[round]! / milliseconds));
}

/** max |actual - reference| / max |reference|. */
function relativeError(actual: Float32Array, reference: Float32Array): number {
  let worst = 0;
  let largest = 0;
  for (let index = 0; index < reference.length; index += 1) {
    worst = Math.max(worst, Math.abs(actual[index]! - reference[index]!));
    largest = Math.max(largest, Math.abs(reference[index]!));
  }
  return worst / largest;
}

interface Row {
  shape: string;
  rows: number;
  variant: string;
  coldMilliseconds: number;
  coldSpeedUp: number;
  hotMilliseconds: number;
  hotSpeedUp: number;
  error: number;
  loadSeconds: number;
}

/**
 * Each group runs beside the fp32 session, and speed-ups compare with the fp32 timings of the
 * same rounds (the fp32 row shows the median over all groups). Groups bound memory: the lm_head alone is 1.2 GiB in fp32 before ORT prepacks it.
 */
async function benchmarkShape(shape: (typeof ALL_SHAPES)[number], seed: number): Promise<Row[]> {
  const { k, n } = shape;
  const shapeLabel = `${shape.name} K=${k} N=${n}`;
  // Linear weights of a trained 2048-wide model have a standard deviation of about 0.02.
  const weight = new SeededRandom(seed, `${shape.name} weight`).fillNormal(new Float32Array(n * k), 0, 0.02);
  const inputs = ROW_COUNTS.map((rows) => {
    const values = new SeededRandom(seed, `${shape.name} input ${rows}`).fillNormal(new Float32Array(rows * k), 0, 1);
    return new ort.Tensor('float32', values, [rows, k]);
  });
  const open = async (
    variant: Variant,
  ): Promise<{ variant: string; session: ort.InferenceSession; loadSeconds: number }> => {
    const start = performance.now();
    const session = await createMatMulSession(directory, variant, k, n, THREADS);
    return { variant: variant.label, session, loadSeconds: (performance.now() - start) / 1000 };
  };
  const baseline = await open(fp32Variant(transpose(weight, n, k), n, k));
  const groups: Array<() => Variant[]> = [
    ...BLOCK_SIZES.map((blockSize) => () => q4Variants(weight, n, k, blockSize)),
    () => [fp16Variant(transpose(weight, n, k), n, k)],
  ];
  const rows: Row[] = [];
  const fp32Cold: number[][] = ROW_COUNTS.map(() => []);
  const fp32Hot: number[][] = ROW_COUNTS.map(() => []);
  let references: Float32Array[] = [];
  for (const makeGroup of groups) {
    const opened = [baseline];
    for (const variant of makeGroup()) opened.push(await open(variant));
    const series = await measureGroup(opened, inputs);
    const baselineSeries = series.filter((entry) => entry.variant === baseline.variant);
    if (references.length === 0) references = baselineSeries.map((entry) => entry.output);
    baselineSeries.forEach((entry, index) => {
      fp32Cold[index]!.push(...entry.cold);
      fp32Hot[index]!.push(...entry.hot);
    });
    for (const entry of series) {
      if (entry.variant === baseline.variant) continue;
      const index = ROW_COUNTS.indexOf(entry.rows as (typeof ROW_COUNTS)[number]);
      const reference = baselineSeries[index]!;
      const row: Row = {
        shape: shapeLabel,
        rows: entry.rows,
        variant: entry.variant,
        coldMilliseconds: median(entry.cold),
        coldSpeedUp: pairedSpeedUp(reference.cold, entry.cold),
        hotMilliseconds: median(entry.hot),
        hotSpeedUp: pairedSpeedUp(reference.hot, entry.hot),
        error: relativeError(entry.output, references[index]!),
        loadSeconds: entry.loadSeconds,
      };
      rows.push(row);
      console.error(
        `  ${shapeLabel} M=${row.rows} ${row.variant}: cold ${row.coldMilliseconds.toFixed(3)} ms, hot ${row.hotMilliseconds.toFixed(3)} ms`,
      );
    }
    for (const entry of opened.slice(1)) await entry.session.release();
  }
  await baseline.session.release();
  const baselineRows = ROW_COUNTS.map((rowCount, index): Row => {
    const [cold, hot] = [median(fp32Cold[index]!), median(fp32Hot[index]!)];
    return {
      shape: shapeLabel,
      rows: rowCount,
      variant: baseline.variant,
      coldMilliseconds: cold,
      coldSpeedUp: 1,
      hotMilliseconds: hot,
      hotSpeedUp: 1,
      error: 0,
      loadSeconds: baseline.loadSeconds,
    };
  });
  // fp32 first, then the variants in the order measured; grouped by M (the sort is stable).
  return [...baselineRows, ...rows].sort((left, right) => left.rows - right.rows);
}

function printTable(rows: Row[]): void {
  console.log(
    '| shape | M | weights | cold ms | cold speed-up | hot ms | hot speed-up | max rel. error vs fp32 | load s |',
  );
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const cells = [
      row.shape,
      String(row.rows),
      row.variant,
      row.coldMilliseconds.toFixed(3),
      `${row.coldSpeedUp.toFixed(2)}x`,
      row.hotMilliseconds.toFixed(3),
      `${row.hotSpeedUp.toFixed(2)}x`,
      row.error === 0 ? '0' : row.error.toExponential(1),
      row.loadSeconds.toFixed(2),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const shapes = quick ? ALL_SHAPES.filter((shape) => shape.name !== 'lm_head') : ALL_SHAPES;
  console.error(`onnxruntime-node ${ort.env.versions.common}, ${THREADS} intra-op threads, Node ${process.version}`);
  const rows: Row[] = [];
  try {
    for (const [index, shape] of shapes.entries()) rows.push(...(await benchmarkShape(shape, 1234 + index)));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  printTable(rows);
  console.error(`peak RSS ${(process.resourceUsage().maxRSS / 1024 / 1024).toFixed(1)} GiB`);
}

await main();
