import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import sharp from 'sharp';
import { BICUBIC, BILINEAR, axisCoefficients, resamplePillow } from '../../src/media/image-resample.js';
import { InvalidMediaOptionsError } from '../../src/media/media-errors.js';
import { processorFile, readProcessorMeta, sha256Of } from './golden.js';

const meta = readProcessorMeta();

async function sourcePixels(png: string): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(processorFile(png)).raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

describe('resamplePillow', () => {
  it.each(['img_854x480/default', 'img_1920x800/default'])('equals PIL 9.4 BICUBIC byte for byte (%s)', async (key) => {
    const item = meta.image_cases.find((entry) => entry.key === key);
    if (!item) throw new Error(`golden ${key} missing`);
    const source = await sourcePixels(item.source_png);
    const [height, width] = item.resized_hw;
    const actual = resamplePillow(source.pixels, source.width, source.height, 3, width, height);
    expect(actual.length).toBe(height * width * 3);
    // The fixture keeps the sha256 of PIL's output: equal digests mean equal bytes.
    expect(sha256Of(actual)).toBe(item.resized_rgb_sha256);
  });

  it('resizes 3000x2000 -> 2996x1988 in well under two seconds of CPU time', async () => {
    const source = await sourcePixels('images/img_3000x2000.png');
    // CPU time of this (synchronous, single-threaded) call, not wall time: other processes on a
    // loaded machine stretch the wall clock (2.9 s seen in CI), not the work done.
    const started = process.cpuUsage();
    const output = resamplePillow(source.pixels, 3000, 2000, 3, 2996, 1988);
    const used = process.cpuUsage(started);
    expect(output.length).toBe(2996 * 1988 * 3);
    expect((used.user + used.system) / 1000).toBeLessThan(2000);
  });

  it('keeps a constant image constant for any size and channel count', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 255 }),
        (width, height, outputWidth, outputHeight, channels, value) => {
          const input = new Uint8Array(width * height * channels).fill(value);
          const output = resamplePillow(input, width, height, channels, outputWidth, outputHeight);
          expect(output.length).toBe(outputWidth * outputHeight * channels);
          expect(output.every((sample) => sample === value)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns a copy when the size does not change, and honours a box', () => {
    const input = Uint8Array.from({ length: 4 * 4 }, (_, index) => index * 10);
    const same = resamplePillow(input, 4, 4, 1, 4, 4);
    expect(same).toEqual(input);
    expect(same).not.toBe(input);
    // A 2×2 box at (1,1) resized to 2×2 with the box filter's bilinear cousin at scale 1: pixel centres
    // fall on source centres, so the result is the crop itself.
    const crop = resamplePillow(input, 4, 4, 1, 2, 2, { filter: BILINEAR, box: [1, 1, 3, 3] });
    expect(Array.from(crop)).toEqual([50, 60, 90, 100]);
  });

  it('clips the bicubic overshoot at hard edges to [0, 255]', () => {
    const edge = Uint8Array.from([0, 0, 0, 255, 255, 255]);
    const up = resamplePillow(edge, 6, 1, 1, 24, 1);
    expect(Math.min(...up)).toBe(0);
    expect(Math.max(...up)).toBe(255);
    // Without clipping the negative lobe would undershoot next to the edge.
    const coefficients = axisCoefficients(6, 0, 6, 24, BICUBIC);
    expect(Array.from(coefficients.weights).some((weight) => weight < 0)).toBe(true);
  });

  it('stretches the kernel when shrinking (antialiasing)', () => {
    const shrink = axisCoefficients(3000, 0, 3000, 300, BICUBIC);
    expect(shrink.kernelSize).toBe(41); // ceil(2 · 10) · 2 + 1
    const first = shrink.weights.subarray(0, shrink.bounds[1]);
    expect(first.reduce((sum, weight) => sum + weight, 0)).toBeCloseTo(1 << 22, -1);
    const enlarge = axisCoefficients(10, 0, 10, 30, BICUBIC);
    expect(enlarge.kernelSize).toBe(5);
  });

  it('rejects inconsistent buffers and boxes', () => {
    expect(() => resamplePillow(new Uint8Array(5), 2, 2, 1, 1, 1)).toThrow(InvalidMediaOptionsError);
    expect(() => resamplePillow(new Uint8Array(4), 2, 2, 1, 0, 1)).toThrow(InvalidMediaOptionsError);
    expect(() => resamplePillow(new Uint8Array(4), 2, 2, 1, 1, 1, { box: [0, 0, 3, 2] })).toThrow(
      InvalidMediaOptionsError,
    );
    expect(() => resamplePillow(new Uint8Array(10), 2, 1, 5, 1, 1)).toThrow(InvalidMediaOptionsError);
  });
});
