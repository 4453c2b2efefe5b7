// Decode-shaped matmuls of the ShotVL 3B decoder on onnxruntime's CPU provider: fp32 MatMul
// against MatMulNBits int4 weights (block size x accuracy level) and fp16 weights, all measured
// in one run so the ratios share this (noisy, shared) machine's state.
//
//   npx tsx bench/matmul-q4.ts            all shapes
//   npx tsx bench/matmul-q4.ts --quick    without the 151936-wide lm_head (about 1 GiB of fp32)
//
// Prints a Markdown table: median ms per call, speed-up over fp32 at the same shape, and the
// largest output difference relative to the fp32 output's largest magnitude.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { float32ToFloat16Bits } from '../src/convert/float16.js';
import { GraphBuilder, MICROSOFT_DOMAIN } from '../src/convert/onnx/graph-builder.js';
import { ElementType, attribute } from '../src/convert/onnx/onnx-types.js';
import { matMulNBitsDims, quantizeQ4 } from '../src/convert/quantize-q4.js';

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
/** Runs per measurement: enough for a stable median, capped so the lm_head stays quick. */
const MIN_RUNS = 7;
const MAX_RUNS = 40;
const TARGET_MEASURE_MS = 1500;

const directory = mkdtempSync(join(tmpdir(), 'shotvl-bench-q4-'));

interface Variant {
  label: string;
  /** Adds the weight initializers and nodes; returns the output value's name. */
  build: (graph: GraphBuilder, input: string) => string;
}

interface Measurement {
  milliseconds: number;
  output: Float32Array;
}

/** xorshift32 with Box-Muller: fast enough to fill a 311M-value lm_head in a few seconds. */
function fillGaussian(target: Float32Array, standardDeviation: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 4294967296;
  };
  for (let index = 0; index < target.length; index += 2) {
    const radius = Math.sqrt(-2 * Math.log(uniform())) * standardDeviation;
    const angle = 2 * Math.PI * uniform();
    target[index] = radius * Math.cos(angle);
    if (index + 1 < target.length) target[index + 1] = radius * Math.sin(angle);
  }
  return target;
}

/** [n, k] (PyTorch Linear) to [k, n] (ONNX MatMul's B), in tiles to stay in cache. */
function transpose(weight: Float32Array, n: number, k: number): Float32Array {
  const tile = 64;
  const result = new Float32Array(n * k);
  for (let rowTile = 0; rowTile < n; rowTile += tile) {
    for (let columnTile = 0; columnTile < k; columnTile += tile) {
      const rowEnd = Math.min(rowTile + tile, n);
      const columnEnd = Math.min(columnTile + tile, k);
      for (let row = rowTile; row < rowEnd; row += 1) {
        for (let column = columnTile; column < columnEnd; column += 1) result[column * n + row] = weight[row * k + column]!;
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
    build: (graph, input) => graph.op1('MatMul', [input, graph.weight('w', ElementType.float32, [k, n], bytesOf(transposed))]),
  };
}

/** ORT's CPU provider has no fp16 MatMul: it casts to fp32 (the cast of a constant is folded). */
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

async function createSession(variant: Variant, k: number, n: number): Promise<ort.InferenceSession> {
  const fileName = 'matmul.onnx';
  const graph = new GraphBuilder({ graphName: 'matmul', directory, fileName, producerVersion: 'bench' });
  const input = graph.input('a', ElementType.float32, ['rows', k]);
  graph.output('y', variant.build(graph, input), ElementType.float32, ['rows', n]);
  const files = graph.save();
  try {
    return await ort.InferenceSession.create(join(directory, fileName), {
      intraOpNumThreads: THREADS,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } finally {
    // ORT has read (or mapped) the files; unlinking keeps a 1 GiB lm_head off the disk.
    for (const file of files) rmSync(join(directory, file), { force: true });
  }
}

async function measure(session: ort.InferenceSession, input: ort.Tensor): Promise<Measurement> {
  let output = new Float32Array(0);
  const run = async (): Promise<number> => {
    const start = performance.now();
    const result = await session.run({ a: input });
    const elapsed = performance.now() - start;
    output = result.y!.data as Float32Array;
    return elapsed;
  };
  let single = Infinity;
  for (let index = 0; index < WARMUP_RUNS; index += 1) single = Math.min(single, await run());
  const runs = Math.max(MIN_RUNS, Math.min(MAX_RUNS, Math.round(TARGET_MEASURE_MS / single)));
  const times: number[] = [];
  for (let index = 0; index < runs; index += 1) times.push(await run());
  times.sort((left, right) => left - right);
  return { milliseconds: times[Math.floor(runs / 2)]!, output };
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
  milliseconds: number;
  speedUp: number;
  error: number;
  loadSeconds: number;
}

async function benchmarkShape(shape: (typeof ALL_SHAPES)[number], seed: number): Promise<Row[]> {
  const { k, n } = shape;
  // Linear weights of a trained 2048-wide model have a standard deviation of about 0.02.
  const weight = fillGaussian(new Float32Array(n * k), 0.02, seed);
  const inputs = ROW_COUNTS.map((rows) => new ort.Tensor('float32', fillGaussian(new Float32Array(rows * k), 1, seed + rows), [rows, k]));
  const makeVariants: Array<() => Variant[]> = [
    () => [fp32Variant(transpose(weight, n, k), n, k)],
    ...BLOCK_SIZES.map((blockSize) => () => q4Variants(weight, n, k, blockSize)),
    () => [fp16Variant(transpose(weight, n, k), n, k)],
  ];
  const rows: Row[] = [];
  const reference: Measurement[] = [];
  for (const make of makeVariants) {
    for (const variant of make()) {
      const loadStart = performance.now();
      const session = await createSession(variant, k, n);
      const loadSeconds = (performance.now() - loadStart) / 1000;
      for (const [index, input] of inputs.entries()) {
        const result = await measure(session, input);
        reference[index] ??= result;
        const baseline = reference[index]!;
        rows.push({
          shape: `${shape.name} K=${k} N=${n}`,
          rows: ROW_COUNTS[index]!,
          variant: variant.label,
          milliseconds: result.milliseconds,
          speedUp: baseline.milliseconds / result.milliseconds,
          error: relativeError(result.output, baseline.output),
          loadSeconds,
        });
        const last = rows[rows.length - 1]!;
        console.error(`  ${last.shape} M=${last.rows} ${last.variant}: ${last.milliseconds.toFixed(3)} ms`);
      }
      await session.release();
    }
  }
  return rows;
}

function printTable(rows: Row[]): void {
  console.log('| shape | M | weights | ms | speed-up vs fp32 | max rel. error vs fp32 | load s |');
  console.log('|---|---:|---|---:|---:|---:|---:|');
  const ordered = [...rows].sort((left, right) => left.shape.localeCompare(right.shape) || left.rows - right.rows);
  for (const row of ordered) {
    const cells = [
      row.shape,
      String(row.rows),
      row.variant,
      row.milliseconds.toFixed(3),
      `${row.speedUp.toFixed(2)}x`,
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
}

await main();
