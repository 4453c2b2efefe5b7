import { describe, expect, it } from 'vitest';

import { IMAGE_NORMALIZATION, VIDEO_NORMALIZATION, normalizationTable, patchify } from '../../src/media/patchify.js';
import { InvalidMediaOptionsError } from '../../src/media/media-errors.js';
import { readFloat32, readInt64AsNumbers, readRawArray } from '../../src/util/raw-array.js';
import type { RawArrayRef } from '../../src/util/raw-array.js';
import { PROCESSOR_DIR, readProcessorMeta } from './golden.js';

const meta = readProcessorMeta();

function readU8(ref: RawArrayRef): Uint8Array {
  const array = readRawArray(PROCESSOR_DIR, ref);
  if (array.dtype !== 'uint8') throw new Error('expected uint8');
  return array.data;
}

function maxRowDifference(actual: Float32Array, expected: Float32Array, rows: number[], columns: number): number {
  let worst = 0;
  rows.forEach((row, index) => {
    for (let column = 0; column < columns; column += 1) {
      const difference = Math.abs(
        (actual[row * columns + column] as number) - (expected[index * columns + column] as number),
      );
      if (difference > worst) worst = difference;
    }
  });
  return worst;
}

describe('patchify', () => {
  it('reproduces the slow image processor rows bit for bit from the reference resized image', () => {
    for (const key of ['img_854x480/default', 'img_1920x800/default']) {
      const item = meta.image_cases.find((entry) => entry.key === key);
      if (!item?.resized_rgb || !item.pixel_values_rows || !item.pixel_values_sampled)
        throw new Error(`golden ${key} incomplete`);
      const [height, width] = item.resized_hw;
      const { pixelValues, gridThw } = patchify([readU8(item.resized_rgb)], height, width);
      expect(gridThw).toEqual(item.image_grid_thw);
      expect(pixelValues.length).toBe(item.num_patches * 1176);
      const rows = readInt64AsNumbers(PROCESSOR_DIR, item.pixel_values_rows);
      expect(maxRowDifference(pixelValues, readFloat32(PROCESSOR_DIR, item.pixel_values_sampled), rows, 1176)).toBe(0);
    }
  });

  it('reproduces the video processor rows (fused normalisation, 4 frames -> grid_t 2)', () => {
    const clip = meta.video_clip as Record<string, RawArrayRef> & {
      video_grid_thw: number[];
      resized_hw: [number, number];
    };
    const [height, width] = clip.resized_hw;
    const all = readU8(clip.resized_frames_u8 as RawArrayRef);
    const frameBytes = height * width * 3;
    const frames = [0, 1, 2, 3].map((index) => all.subarray(index * frameBytes, (index + 1) * frameBytes));
    const { pixelValues, gridThw } = patchify(frames, height, width, { normalization: VIDEO_NORMALIZATION });
    expect(gridThw).toEqual(clip.video_grid_thw);
    const rows = readInt64AsNumbers(PROCESSOR_DIR, clip.pixel_values_videos_rows as RawArrayRef);
    const expected = readFloat32(PROCESSOR_DIR, clip.pixel_values_videos_sampled as RawArrayRef);
    expect(maxRowDifference(pixelValues, expected, rows, 1176)).toBe(0);
    // The slow formula differs by float32 rounding only, and is not what the video path used.
    expect(maxRowDifference(patchify(frames, height, width).pixelValues, expected, rows, 1176)).toBeGreaterThan(0);
  });

  it('orders rows [t, h/2, w/2, 2, 2] and columns [C, T, 14, 14], repeating the last frame', () => {
    const height = 28;
    const width = 56;
    const identity = normalizationTable({ formula: 'fused', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] });
    // Pixel value encodes its patch (row-major over the 2×4 patch grid) and channel.
    const frame = new Uint8Array(height * width * 3);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        for (let channel = 0; channel < 3; channel += 1) {
          frame[(y * width + x) * 3 + channel] = (Math.floor(y / 14) * 4 + Math.floor(x / 14)) * 10 + channel;
        }
      }
    }
    const { pixelValues, gridThw } = patchify([frame, frame, frame], height, width, { normalization: identity });
    expect(gridThw).toEqual([2, 2, 4]);
    // Row order within a 2×2 merge unit: (0,0), (0,1), (1,0), (1,1); then the next unit to the right.
    const patchOfRow = (row: number) => (pixelValues[row * 1176] as number) / 10;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(patchOfRow)).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
    // Columns: channel-major, then temporal, then 14×14.
    expect([0, 196, 392, 784, 1175].map((column) => pixelValues[column])).toEqual([0, 0, 1, 2, 2]);
    // The second temporal group repeats the third (last) frame.
    expect(pixelValues.subarray(8 * 1176, 9 * 1176)).toEqual(pixelValues.subarray(0, 1176));
  });

  it('normalises with the slow-processor arithmetic', () => {
    // float32((float32(0 * (1/255)) - 0.48145466f) / 0.26862954f) from numpy.
    expect(IMAGE_NORMALIZATION[0]).toBe(
      Math.fround(Math.fround(0 - Math.fround(0.48145466)) / Math.fround(0.26862954)),
    );
    expect(IMAGE_NORMALIZATION[255]).toBeCloseTo(1.9303361, 6);
  });

  it('rejects sizes that are not multiples of 28 and frames of the wrong length', () => {
    expect(() => patchify([new Uint8Array(14 * 28 * 3)], 14, 28)).toThrow(InvalidMediaOptionsError);
    expect(() => patchify([new Uint8Array(10)], 28, 28)).toThrow(InvalidMediaOptionsError);
    expect(() => patchify([], 28, 28)).toThrow(InvalidMediaOptionsError);
  });
});
