import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { preprocessImage, validateImageSizeOptions } from '../../src/media/image-preprocess.js';
import { InvalidMediaOptionsError } from '../../src/media/media-errors.js';
import { readFloat32, readInt64AsNumbers } from '../../src/util/raw-array.js';
import type { RawArrayRef } from '../../src/util/raw-array.js';
import { GOLDEN_DIR, PROCESSOR_DIR, readProcessorMeta } from './golden.js';

const meta = readProcessorMeta();

/** Largest |actual[row] − expected[i]| over the given rows (all rows when `rows` is undefined). */
function maxAbsoluteError(
  actual: Float32Array,
  expected: Float32Array,
  rows: number[] | undefined,
  columns = 1176,
): number {
  const rowList = rows ?? Array.from({ length: expected.length / columns }, (_, index) => index);
  let worst = 0;
  rowList.forEach((row, index) => {
    for (let column = 0; column < columns; column += 1) {
      const difference = Math.abs(
        (actual[row * columns + column] as number) - (expected[index * columns + column] as number),
      );
      if (difference > worst) worst = difference;
    }
  });
  return worst;
}

describe('preprocessImage against the Hugging Face reference (golden processor/)', () => {
  it.each(meta.image_cases.map((item) => [item.key, item] as const))('%s', async (_key, item) => {
    const bytes = readFileSync(join(PROCESSOR_DIR, item.source_png));
    const result = await preprocessImage(bytes, {
      size: { minPixels: item.qwen_vl_utils_ele.min_pixels, maxPixels: item.qwen_vl_utils_ele.max_pixels },
    });
    expect([result.height, result.width]).toEqual([item.source_wh[1], item.source_wh[0]]);
    expect([result.resizedHeight, result.resizedWidth]).toEqual(item.resized_hw);
    expect(result.gridThw).toEqual(item.image_grid_thw);
    expect(result.pixelValues.length).toBe(item.num_patches * 1176);
    expect(createHash('sha256').update(result.resizedPixels).digest('hex')).toBe(item.resized_rgb_sha256);

    if (item.pixel_values) {
      expect(maxAbsoluteError(result.pixelValues, readFloat32(PROCESSOR_DIR, item.pixel_values), undefined)).toBe(0);
    } else {
      const rows = readInt64AsNumbers(PROCESSOR_DIR, item.pixel_values_rows as RawArrayRef);
      const sampled = readFloat32(PROCESSOR_DIR, item.pixel_values_sampled as RawArrayRef);
      expect(maxAbsoluteError(result.pixelValues, sampled, rows)).toBe(0);
    }
    if (item.resized_rgb_crop && item.resized_rgb_crop_yx0) {
      const crop = readFileSync(join(PROCESSOR_DIR, item.resized_rgb_crop.file));
      const [y0, x0] = item.resized_rgb_crop_yx0;
      const [cropHeight, cropWidth] = item.resized_rgb_crop.shape as [number, number, number];
      let differing = 0;
      for (let y = 0; y < cropHeight; y += 1) {
        const start = ((y0 + y) * result.resizedWidth + x0) * 3;
        const row = result.resizedPixels.subarray(start, start + cropWidth * 3);
        row.forEach((value, index) => {
          if (value !== crop[y * cropWidth * 3 + index]) differing += 1;
        });
      }
      expect(differing).toBe(0);
    }
  });

  it('matches the tiny-a image case (resized_height 252, resized_width 392)', async () => {
    const tiny = JSON.parse(readFileSync(join(GOLDEN_DIR, 'tiny-a/cases/meta.json'), 'utf8')) as {
      cases: {
        name: string;
        image_source?: string;
        qwen_vl_utils_ele?: { resized_height: number; resized_width: number };
        pixel_values?: RawArrayRef;
        image_grid_thw?: RawArrayRef;
      }[];
    };
    const item = tiny.cases.find((entry) => entry.name === 'image');
    if (!item?.image_source || !item.qwen_vl_utils_ele || !item.pixel_values || !item.image_grid_thw)
      throw new Error('tiny-a image case incomplete');
    const casesDir = join(GOLDEN_DIR, 'tiny-a/cases');
    const result = await preprocessImage(readFileSync(join(GOLDEN_DIR, item.image_source)), {
      size: {
        resizedHeight: item.qwen_vl_utils_ele.resized_height,
        resizedWidth: item.qwen_vl_utils_ele.resized_width,
      },
    });
    expect(result.gridThw).toEqual(readInt64AsNumbers(casesDir, item.image_grid_thw));
    expect(maxAbsoluteError(result.pixelValues, readFloat32(casesDir, item.pixel_values), undefined)).toBe(0);
  });
});

describe('validateImageSizeOptions', () => {
  it('accepts the qwen-vl-utils ranges and rejects the rest', () => {
    expect(validateImageSizeOptions({ minPixels: 3136, maxPixels: 230400 })).toEqual({
      minPixels: 3136,
      maxPixels: 230400,
    });
    for (const bad of [
      { minPixels: 100 },
      { maxPixels: 16385 * 28 * 28 },
      { minPixels: 200_000, maxPixels: 100_000 },
      { maxPixels: 1.5e5 + 0.5 },
      { resizedHeight: 252 },
      { resizedWidth: 392 },
      { resizedHeight: 0, resizedWidth: 10 },
    ]) {
      expect(() => validateImageSizeOptions(bad), JSON.stringify(bad)).toThrow(InvalidMediaOptionsError);
    }
  });
});
