// Prefill- and vision-shaped matmuls of ShotVL 3B on onnxruntime's CPU provider: which int8 path
// to build (issue 12). All candidates at each shape run in one process, round-robin, so the
// ratios share this (noisy, shared) machine's state:
//
//   fp32 MatMul                                     the reference
//   q4   MatMulNBits block 32, accuracy_level 4     today's format (int8 activations per block)
//   int8 DynamicQuantizeMatMul                      per-channel int8 weights, activations
//                                                   quantized per call (one fused contrib op)
//   int8 DynamicQuantizeLinear + MatMulInteger      the same with standard ONNX ops (int32 out,
//        + Cast + Mul                               then scaled back to float)
//
//   npx tsx bench/matmul-int8.ts [--rounds 5]
//
// Prints a Markdown table: median ms per call, speed-up over fp32 and over q4 (each the median of
// per-round ratios), effective GFLOP/s, and the output error against fp32 (max abs / max |ref|,
// and cosine similarity).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { MICROSOFT_DOMAIN } from '../src/convert/onnx/graph-builder.js';
import { ElementType, attribute } from '../src/convert/onnx/onnx-types.js';
import { matMulNBitsDims, quantizeQ4 } from '../src/convert/quantize-q4.js';
import { quantizeInt8 } from '../src/convert/quantize-int8.js';
import { SeededRandom } from '../src/convert/seeded-random.js';
import { createMatMulSession, type MatMulVariant } from './matmul-session.js';
import { transpose } from '../src/convert/qwen2-5-vl/weight-format.js';

/** ShotVL 3B: vision hidden 1280 (MLP 3420), text hidden 2048 (q 2048 + k/v 256 each, MLP 11008). */
const SHAPES = [
  { name: 'ViT qkv', m: 4784, k: 1280, n: 3840 },
  { name: 'ViT mlp gate/up', m: 4784, k: 1280, n: 6840 },
  { name: 'decoder qkv', m: 512, k: 2048, n: 2560 },
  { name: 'decoder mlp gate/up', m: 512, k: 2048, n: 22016 },
  { name: 'decoder qkv', m: 64, k: 2048, n: 2560 },
  { name: 'decoder qkv', m: 8, k: 2048, n: 2560 },
  { name: 'decoder qkv', m: 1, k: 2048, n: 2560 },
] as const;
const THREADS = 2;
const WARMUP_RUNS = 2;

const { values: options } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(options.rounds);
const directory = mkdtempSync(join(tmpdir(), 'shotvl-bench-int8-'));

type Variant = MatMulVariant;

function bytesOf(array: Float32Array | Int8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function variants(weight: Float32Array, n: number, k: number): Variant[] {
  const transposed = transpose(weight, n, k);
  const q4 = quantizeQ4(weight, n, k, { blockSize: 32 });
  const q4Dims = matMulNBitsDims(q4);
  const int8 = quantizeInt8(weight, n, k);
  return [
    {
      label: 'fp32 MatMul',
      build: (graph, input) =>
        graph.op1('MatMul', [input, graph.weight('w', ElementType.float32, [k, n], bytesOf(transposed))]),
    },
    {
      label: 'q4 MatMulNBits b32 lvl4',
      build: (graph, input) =>
        graph.op1(
          'MatMulNBits',
          [
            input,
            graph.weight('b', ElementType.uint8, q4Dims.packed, q4.packed),
            graph.weight('scales', ElementType.float32, q4Dims.scales, bytesOf(q4.scales)),
            graph.weight('zero_points', ElementType.uint8, q4Dims.zeroPoints, q4.zeroPoints!),
          ],
          {
            K: attribute.int(k),
            N: attribute.int(n),
            bits: attribute.int(4),
            block_size: attribute.int(32),
            accuracy_level: attribute.int(4),
          },
          MICROSOFT_DOMAIN,
        ),
    },
    {
      label: 'int8 DynamicQuantizeMatMul',
      build: (graph, input) =>
        graph.op1(
          'DynamicQuantizeMatMul',
          [
            input,
            graph.weight('b', ElementType.int8, [k, n], bytesOf(int8.values)),
            graph.weight('b_scale', ElementType.float32, [n], bytesOf(int8.scales)),
          ],
          {},
          MICROSOFT_DOMAIN,
        ),
    },
    {
      label: 'int8 DQL + MatMulInteger',
      build: (graph, input) => {
        const [quantized, scale, zeroPoint] = graph.op('DynamicQuantizeLinear', [input], {}, { outputCount: 3 });
        const b = graph.weight('b', ElementType.int8, [k, n], bytesOf(int8.values));
        const product = graph.op1('MatMulInteger', [quantized!, b, zeroPoint!]);
        const asFloat = graph.op1('Cast', [product], { to: attribute.int(ElementType.float32) });
        const scales = graph.op1('Mul', [
          scale!,
          graph.weight('b_scale', ElementType.float32, [n], bytesOf(int8.scales)),
        ]);
        return graph.op1('Mul', [asFloat, scales]);
      },
    },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function errors(actual: Float32Array, reference: Float32Array): { relative: number; cosine: number } {
  let worst = 0;
  let largest = 0;
  let dot = 0;
  let actualNorm = 0;
  let referenceNorm = 0;
  for (let index = 0; index < reference.length; index += 1) {
    const [a, r] = [actual[index]!, reference[index]!];
    worst = Math.max(worst, Math.abs(a - r));
    largest = Math.max(largest, Math.abs(r));
    dot += a * r;
    actualNorm += a * a;
    referenceNorm += r * r;
  }
  return { relative: worst / largest, cosine: dot / Math.sqrt(actualNorm * referenceNorm) };
}

async function benchmarkShape(shape: (typeof SHAPES)[number], seed: number): Promise<string[]> {
  const { m, k, n } = shape;
  // Linear weights of a trained model of this width have a standard deviation of about 0.02;
  // activations after RMSNorm are of order 1.
  const weight = new SeededRandom(seed, 'weight').fillNormal(new Float32Array(n * k), 0, 0.02);
  const input = new ort.Tensor('float32', new SeededRandom(seed, 'input').fillNormal(new Float32Array(m * k), 0, 1), [
    m,
    k,
  ]);
  const opened: Array<{ label: string; session: ort.InferenceSession; times: number[]; output: Float32Array }> = [];
  for (const variant of variants(weight, n, k)) {
    const session = await createMatMulSession(directory, variant, k, n, THREADS);
    let output: Float32Array = new Float32Array(0);
    for (let run = 0; run < WARMUP_RUNS; run += 1) output = (await session.run({ a: input })).y!.data as Float32Array;
    opened.push({ label: variant.label, session, times: [], output });
  }
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const entry of opened) {
      const start = performance.now();
      await entry.session.run({ a: input });
      entry.times.push(performance.now() - start);
    }
  }
  const [fp32, q4] = [opened[0]!, opened[1]!];
  const ratio = (baseline: number[], times: number[]) =>
    median(times.map((milliseconds, round) => baseline[round]! / milliseconds));
  const lines = opened.map((entry) => {
    const milliseconds = median(entry.times);
    const error = entry === fp32 ? { relative: 0, cosine: 1 } : errors(entry.output, fp32.output);
    return `| ${shape.name} | ${m} | ${k}x${n} | ${entry.label} | ${milliseconds.toFixed(2)} | ${ratio(fp32.times, entry.times).toFixed(2)}x | ${ratio(q4.times, entry.times).toFixed(2)}x | ${((2 * m * k * n) / milliseconds / 1e6).toFixed(0)} | ${error.relative === 0 ? '0' : error.relative.toExponential(1)} | ${error.cosine.toFixed(6)} |`;
  });
  for (const entry of opened) await entry.session.release();
  return lines;
}

async function main(): Promise<void> {
  console.error(`onnxruntime-node ${ort.env.versions.common}, ${THREADS} intra-op threads, ${ROUNDS} rounds`);
  const lines = [
    '| shape | M | K x N | weights | median ms | vs fp32 | vs q4 | GFLOP/s | max rel. error vs fp32 | cosine vs fp32 |',
    '|---|---:|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  try {
    for (const [index, shape] of SHAPES.entries()) {
      const shapeLines = await benchmarkShape(shape, 4321 + index);
      for (const line of shapeLines) console.error(line);
      lines.push(...shapeLines);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  console.log(lines.join('\n'));
}

await main();
