import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { IMAGE_NORMALIZATION, VIDEO_NORMALIZATION, normalizationTable, patchify } from '../../src/media/patchify.js';
import { resamplePillow } from '../../src/media/image-resample.js';
import { InvalidMediaOptionsError } from '../../src/media/media-errors.js';
import { gatherRows, processorFile, readClipResizedFrames, readProcessorMeta, sha256Of } from './golden.js';

const meta = readProcessorMeta();

/** The reference's resized image: our PIL-bicubic port, checked here against the reference's sha256. */
async function referenceResized(key: string): Promise<{ pixels: Uint8Array; height: number; width: number }> {
  const item = meta.image_cases.find((entry) => entry.key === key);
  if (!item) throw new Error(`golden ${key} missing`);
  const { data, info } = await sharp(processorFile(item.source_png)).raw().toBuffer({ resolveWithObject: true });
  const [height, width] = item.resized_hw;
  const pixels = resamplePillow(new Uint8Array(data), info.width, info.height, 3, width, height);
  expect(sha256Of(pixels), `${key}: resized bytes are not the reference's`).toBe(item.resized_rgb_sha256);
  return { pixels, height, width };
}

describe('patchify', () => {
  it('reproduces the slow image processor rows bit for bit from the reference resized image', async () => {
    for (const key of ['img_854x480/default', 'img_1920x800/default']) {
      const item = meta.image_cases.find((entry) => entry.key === key);
      if (!item?.pixel_values_row_index || !item.pixel_values_sampled_sha256)
        throw new Error(`golden ${key} incomplete`);
      const { pixels, height, width } = await referenceResized(key);
      const { pixelValues, gridThw } = patchify([pixels], height, width);
      expect(gridThw).toEqual(item.image_grid_thw);
      expect(pixelValues.length).toBe(item.num_patches * 1176);
      expect(sha256Of(gatherRows(pixelValues, item.pixel_values_row_index))).toBe(item.pixel_values_sampled_sha256);
    }
  });

  it('reproduces the video processor rows (fused normalisation, 4 frames -> grid_t 2)', async () => {
    const clip = meta.video_clip;
    const [height, width] = clip.resized_hw;
    const frames = await readClipResizedFrames(clip);
    const { pixelValues, gridThw } = patchify(frames, height, width, { normalization: VIDEO_NORMALIZATION });
    expect(gridThw).toEqual(clip.video_grid_thw);
    const rows = clip.pixel_values_videos_row_index;
    expect(sha256Of(gatherRows(pixelValues, rows))).toBe(clip.pixel_values_videos_sampled_sha256);
    // The slow formula differs by float32 rounding only, and is not what the video path used.
    const slow = gatherRows(patchify(frames, height, width).pixelValues, rows);
    const fused = gatherRows(pixelValues, rows);
    expect(slow.some((value, index) => value !== fused[index])).toBe(true);
    expect(slow.every((value, index) => Math.abs(value - fused[index]!) < 1e-5)).toBe(true);
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
