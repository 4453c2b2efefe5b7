// Runs onnxruntime's own MatMulNBits kernel on weights quantized by quantizeQ4: if the packing,
// scale or zero-point layout were off by a nibble, a block or a row, the outputs would not match
// a plain matmul against dequantizeQ4's weights.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, MICROSOFT_DOMAIN } from '../../src/convert/onnx/graph-builder.js';
import { ElementType, attribute } from '../../src/convert/onnx/onnx-types.js';
import { dequantizeQ4, matMulNBitsDims, quantizeQ4, type QuantizedQ4Weight } from '../../src/convert/quantize-q4.js';
import { SeededRandom } from '../../src/convert/seeded-random.js';
import { referenceMatMul, relativeError } from '../helpers/matmul-reference.js';

const directory = mkdtempSync(join(tmpdir(), 'shotvl-q4-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const ROWS = 3; // M: a few tokens

async function runMatMulNBits(
  quantized: QuantizedQ4Weight,
  input: Float32Array,
  accuracyLevel: number,
): Promise<Float32Array> {
  const fileName = `q4-${quantized.blockSize}-${quantized.k}-${quantized.zeroPoints ? 'zp' : 'sym'}-${accuracyLevel}.onnx`;
  const graph = new GraphBuilder({ graphName: 'matmul_q4', directory, fileName, producerVersion: 'test' });
  const dims = matMulNBitsDims(quantized);
  const a = graph.input('a', ElementType.float32, [ROWS, quantized.k]);
  const b = graph.weight('b', ElementType.uint8, dims.packed, quantized.packed);
  const scales = graph.weight('scales', ElementType.float32, dims.scales, new Uint8Array(quantized.scales.buffer));
  const inputs = [a, b, scales];
  if (quantized.zeroPoints !== undefined)
    inputs.push(graph.weight('zero_points', ElementType.uint8, dims.zeroPoints, quantized.zeroPoints));
  const y = graph.op1(
    'MatMulNBits',
    inputs,
    {
      K: attribute.int(quantized.k),
      N: attribute.int(quantized.n),
      bits: attribute.int(4),
      block_size: attribute.int(quantized.blockSize),
      accuracy_level: attribute.int(accuracyLevel),
    },
    MICROSOFT_DOMAIN,
  );
  graph.output('y', y, ElementType.float32, [ROWS, quantized.n]);
  graph.save();
  const session = await ort.InferenceSession.create(join(directory, fileName), { intraOpNumThreads: 1 });
  try {
    const result = await session.run({ a: new ort.Tensor('float32', input, [ROWS, quantized.k]) });
    return result.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** sqrt(mean((actual - expected)^2) / mean(expected^2)): the noise a layer adds, relative. */
function relativeRmsError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let noise = 0;
  let signal = 0;
  for (let index = 0; index < expected.length; index += 1) {
    noise += (actual[index]! - expected[index]!) ** 2;
    signal += expected[index]! ** 2;
  }
  return Math.sqrt(noise / signal);
}

/** Weights like a trained Linear layer's: Gaussian rows of different scale and offset, rare outliers. */
function linearWeight(n: number, k: number, random: SeededRandom): Float32Array {
  const weight = new Float32Array(n * k);
  for (let row = 0; row < n; row += 1) {
    const rowScale = 0.02 * (0.5 + random.nextUniform());
    const rowOffset = (random.nextUniform() - 0.5) * rowScale;
    const values = random.fillNormal(weight.subarray(row * k, (row + 1) * k), rowOffset, rowScale);
    for (let column = 0; column < k; column += 1) if (random.nextUniform() < 0.002) values[column]! *= 4;
  }
  return weight;
}

function uniformInput(length: number, random: SeededRandom): Float32Array {
  return Float32Array.from({ length }, () => random.nextUniform() * 2 - 1);
}

const summary: string[] = [];
afterAll(() => console.info(`MatMulNBits vs matmul (relative error)\n${summary.join('\n')}`));

// K values leave a short last block (except 256 / 64) and, for 16, 32 and 128, an odd number
// of blocks, so zero-point rows end in a half-used byte.
const CASES = [
  { blockSize: 16, k: 72 },
  { blockSize: 32, k: 200 },
  { blockSize: 64, k: 256 },
  { blockSize: 128, k: 300 },
] as const;
const N = 33;

describe('quantizeQ4 with onnxruntime MatMulNBits', () => {
  for (const { blockSize, k } of CASES) {
    for (const symmetric of [false, true]) {
      const label = `block ${blockSize}, K ${k}, ${symmetric ? 'symmetric' : 'asymmetric'}`;
      it(`matches a matmul against the dequantized weights (${label})`, async () => {
        const random = new SeededRandom(blockSize * 1000 + k, symmetric ? 'symmetric' : 'asymmetric');
        const weight = linearWeight(N, k, random);
        const input = uniformInput(ROWS * k, random);
        const quantized = quantizeQ4(weight, N, k, { blockSize, symmetric });
        const dequantized = dequantizeQ4(quantized);
        const expected = referenceMatMul(input, dequantized, N, k);
        const original = referenceMatMul(input, weight, N, k);

        const exact = relativeError(await runMatMulNBits(quantized, input, 0), expected);
        // accuracy_level 4 quantizes A to int8 per block inside the kernel and reads the
        // weights through a different (prepacked) path: a layout bug would be far above 2%.
        const int8 = relativeError(await runMatMulNBits(quantized, input, 4), expected);
        const quantization = relativeRmsError(expected, original);
        summary.push(
          `  ${label}: ORT vs dequantized max ${exact.toExponential(1)} (level 0), ${int8.toExponential(1)} (level 4);` +
            ` q4 vs fp32 weights max ${relativeError(expected, original).toExponential(1)}, rms ${quantization.toExponential(1)}`,
        );

        expect(exact).toBeLessThan(1e-5);
        expect(int8).toBeLessThan(2e-2);
        // 4-bit noise on Gaussian weights: a step of about 0.3 standard deviations, so about 10%.
        expect(quantization).toBeLessThan(0.15);
        expect(quantization).toBeGreaterThan(0.01); // the weights really were quantized
      });
    }
  }

  it('fails the comparison when the zero points are misplaced (the test can see layout bugs)', async () => {
    const random = new SeededRandom(7, 'misplaced zero points');
    const weight = linearWeight(N, 200, random);
    const input = uniformInput(ROWS * 200, random);
    const quantized = quantizeQ4(weight, N, 200, { blockSize: 32 });
    const expected = referenceMatMul(input, dequantizeQ4(quantized), N, 200);
    // Swap the two nibbles of every zero-point byte: block 2i reads block 2i+1's zero point.
    const swapped = quantized.zeroPoints!.map((byte) => ((byte & 0x0f) << 4) | (byte >> 4));
    const actual = await runMatMulNBits({ ...quantized, zeroPoints: swapped }, input, 0);
    expect(relativeError(actual, expected)).toBeGreaterThan(1e-3);
  });
});
