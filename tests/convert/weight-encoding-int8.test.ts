// quantizeInt8's layout (hand-checked values) and onnxruntime's own DynamicQuantizeMatMul on what
// it writes: a transposed or mis-scaled layout would not match a matmul against dequantizeInt8's
// weights.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, MICROSOFT_DOMAIN } from '../../src/convert/onnx/graph-builder.js';
import { ElementType } from '../../src/convert/onnx/onnx-types.js';
import { dequantizeInt8, quantizeInt8, type QuantizedInt8Weight } from '../../src/convert/quantize-int8.js';
import { SeededRandom } from '../../src/convert/seeded-random.js';
import { referenceMatMul, relativeError } from '../helpers/matmul-reference.js';

const directory = mkdtempSync(join(tmpdir(), 'shotvl-int8-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const ROWS = 5;

function bytes(array: Int8Array | Float32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

async function runDynamicQuantizeMatMul(quantized: QuantizedInt8Weight, input: Float32Array): Promise<Float32Array> {
  const fileName = `int8-${quantized.n}-${quantized.k}.onnx`;
  const graph = new GraphBuilder({ graphName: 'matmul_int8', directory, fileName, producerVersion: 'test' });
  const a = graph.input('a', ElementType.float32, [ROWS, quantized.k]);
  const b = graph.weight('b', ElementType.int8, [quantized.k, quantized.n], bytes(quantized.values));
  const scales = graph.weight('scales', ElementType.float32, [quantized.n], bytes(quantized.scales));
  graph.output('y', graph.op1('DynamicQuantizeMatMul', [a, b, scales], {}, MICROSOFT_DOMAIN), ElementType.float32, [
    ROWS,
    quantized.n,
  ]);
  graph.save();
  const session = await ort.InferenceSession.create(join(directory, fileName), { intraOpNumThreads: 1 });
  try {
    return (await session.run({ a: new ort.Tensor('float32', input, [ROWS, quantized.k]) })).y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('quantizeInt8 layout', () => {
  it('maps each row largest magnitude to ±127 and transposes to [K, N]', () => {
    // Row 0: [-2, 1, 0.5]; row 1: [0, 0, 0] (all zero: scale 0).
    const quantized = quantizeInt8(Float32Array.of(-2, 1, 0.5, 0, 0, 0), 2, 3);
    expect(quantized.scales[0]).toBeCloseTo(2 / 127, 8);
    expect(quantized.scales[1]).toBe(0);
    // [K, N]: column k of B holds row n's value k.
    expect(Array.from(quantized.values)).toEqual([-127, 0, 64, 0, 32, 0]);
    const back = dequantizeInt8(quantized);
    expect(back[0]).toBeCloseTo(-2, 6);
    expect(back[1]).toBeCloseTo((64 * 2) / 127, 6);
    expect(Array.from(back.subarray(3))).toEqual([0, 0, 0]);
  });

  it('refuses NaN and infinite weights', () => {
    expect(() => quantizeInt8(Float32Array.of(1, Number.NaN), 1, 2)).toThrow(/row 0 holds NaN/);
    expect(() => quantizeInt8(Float32Array.of(1, 2, Number.POSITIVE_INFINITY, 0), 2, 2)).toThrow(/row 1/);
    expect(() => quantizeInt8(new Float32Array(5), 2, 3)).toThrow(RangeError);
  });
});

describe('quantizeInt8 with onnxruntime DynamicQuantizeMatMul', () => {
  // N and K not multiples of the kernel's tiles, so edge handling is exercised.
  for (const [n, k] of [
    [33, 70],
    [130, 257],
  ] as const) {
    it(`matches a matmul against the dequantized weights (N ${n}, K ${k})`, async () => {
      const random = new SeededRandom(n * 1000 + k, 'int8');
      const weight = random.fillNormal(new Float32Array(n * k), 0, 0.02);
      // A few outlier rows: per-channel scales keep the other rows precise.
      for (let row = 0; row < n; row += 9) weight[row * k]! *= 8;
      const input = Float32Array.from({ length: ROWS * k }, () => random.nextUniform() * 2 - 1);
      const quantized = quantizeInt8(weight, n, k);
      const expected = referenceMatMul(input, dequantizeInt8(quantized), n, k);
      const actual = await runDynamicQuantizeMatMul(quantized, input);
      // The kernel also quantizes the activations to uint8 per tensor: 1/255 of their range.
      expect(relativeError(actual, expected)).toBeLessThan(2e-2);
      expect(relativeError(actual, referenceMatMul(input, weight, n, k))).toBeLessThan(3e-2);
      // A transposed B (the layout bug this guards) is nowhere near.
      const transposedWrongly = { ...quantized, values: quantizeInt8(weight, n, k).values.reverse() };
      expect(relativeError(await runDynamicQuantizeMatMul(transposedWrongly, input), expected)).toBeGreaterThan(0.2);
    });
  }
});
