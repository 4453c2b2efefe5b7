import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { preprocessImage, validateImageSizeOptions } from '../../src/media/image-preprocess.js';
import { InvalidMediaOptionsError } from '../../src/media/media-errors.js';
import { readInt64AsNumbers } from '../../src/util/raw-array.js';
import type { RawArrayRef } from '../../src/util/raw-array.js';
import { fixturePath } from '../helpers/fixtures.js';
import { gatherRows, processorFile, readProcessorMeta, sha256Of } from './golden.js';

const meta = readProcessorMeta();

/** The rows `y0..y0+height` × columns `x0..x0+width` of a row-major RGB image, as one buffer. */
function crop(pixels: Uint8Array, imageWidth: number, [y0, x0]: [number, number], [height, width]: number[]) {
  const out = new Uint8Array(height! * width! * 3);
  for (let y = 0; y < height!; y += 1) {
    const start = ((y0 + y) * imageWidth + x0) * 3;
    out.set(pixels.subarray(start, start + width! * 3), y * width! * 3);
  }
  return out;
}

describe('preprocessImage against the Hugging Face reference (golden processor/)', () => {
  // Resized bytes and pixel values must equal the reference bit for bit: the fixtures keep the
  // sha256 of the reference arrays, so one differing bit fails the digest.
  it.each(meta.image_cases.map((item) => [item.key, item] as const))('%s', async (_key, item) => {
    const bytes = readFileSync(processorFile(item.source_png));
    const result = await preprocessImage(bytes, {
      size: { minPixels: item.qwen_vl_utils_ele.min_pixels, maxPixels: item.qwen_vl_utils_ele.max_pixels },
    });
    expect([result.height, result.width]).toEqual([item.source_wh[1], item.source_wh[0]]);
    expect([result.resizedHeight, result.resizedWidth]).toEqual(item.resized_hw);
    expect(result.gridThw).toEqual(item.image_grid_thw);
    expect(result.pixelValues.length).toBe(item.num_patches * 1176);
    expect(sha256Of(result.resizedPixels)).toBe(item.resized_rgb_sha256);

    if (item.pixel_values_sha256 !== undefined) {
      expect(sha256Of(result.pixelValues)).toBe(item.pixel_values_sha256);
    } else {
      const rows = item.pixel_values_row_index;
      if (rows === undefined) throw new Error(`golden ${item.key} has neither pixel_values nor sampled rows`);
      expect(sha256Of(gatherRows(result.pixelValues, rows))).toBe(item.pixel_values_sampled_sha256);
    }
    if (item.resized_rgb_crop_shape && item.resized_rgb_crop_yx0) {
      const cropped = crop(
        result.resizedPixels,
        result.resizedWidth,
        item.resized_rgb_crop_yx0,
        item.resized_rgb_crop_shape,
      );
      expect(sha256Of(cropped)).toBe(item.resized_rgb_crop_sha256);
    }
  });

  it('matches the tiny-a image case (resized_height 252, resized_width 392)', async () => {
    const casesDir = fixturePath('golden', 'tiny-a', 'cases');
    const tiny = JSON.parse(readFileSync(fixturePath('golden', 'tiny-a', 'cases', 'meta.json'), 'utf8')) as {
      cases: {
        name: string;
        image_source?: string;
        qwen_vl_utils_ele?: { resized_height: number; resized_width: number };
        pixel_values_sha256?: string;
        pixel_values_shape?: number[];
        image_grid_thw?: RawArrayRef;
      }[];
    };
    const item = tiny.cases.find((entry) => entry.name === 'image');
    if (!item?.image_source || !item.qwen_vl_utils_ele || !item.pixel_values_sha256 || !item.image_grid_thw)
      throw new Error('tiny-a image case incomplete');
    const result = await preprocessImage(readFileSync(fixturePath('golden', item.image_source)), {
      size: {
        resizedHeight: item.qwen_vl_utils_ele.resized_height,
        resizedWidth: item.qwen_vl_utils_ele.resized_width,
      },
    });
    expect(result.gridThw).toEqual(readInt64AsNumbers(casesDir, item.image_grid_thw));
    expect(result.pixelValues.length).toBe((item.pixel_values_shape ?? []).reduce((a, b) => a * b, 1));
    expect(sha256Of(result.pixelValues)).toBe(item.pixel_values_sha256);
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
