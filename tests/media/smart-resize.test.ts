import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  IMAGE_FACTOR,
  MAX_PIXELS,
  MIN_PIXELS,
  VIDEO_TOTAL_PIXELS,
  resolveImageSize,
  resolveVideoFrameSize,
  roundHalfToEven,
  smallestUsableMaxPixels,
  smartResize,
  videoPixelBudget,
} from '../../src/media/smart-resize.js';
import { InvalidMediaOptionsError, UnsupportedAspectRatioError } from '../../src/media/media-errors.js';
import { fixturePath } from '../helpers/fixtures.js';
import { readProcessorMeta } from './golden.js';

const meta = readProcessorMeta();

describe('roundHalfToEven', () => {
  it('rounds ties to the even neighbour like Python round()', () => {
    expect([0.5, 1.5, 2.5, 30.5, 31.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfToEven)).toEqual([
      0, 2, 2, 30, 32, 0, -2, 2, 3,
    ]);
  });
});

/**
 * qwen-vl-utils 0.0.11 `smart_resize` transcribed line by line (no `max(factor, ...)` in the floor
 * branch); undefined where it yields a side below `factor` (PIL's resize then fails).
 */
function reference0011(height: number, width: number, minPixels: number, maxPixels: number, factor = IMAGE_FACTOR) {
  let hBar = Math.max(factor, roundHalfToEven(height / factor) * factor);
  let wBar = Math.max(factor, roundHalfToEven(width / factor) * factor);
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = Math.floor(height / beta / factor) * factor;
    wBar = Math.floor(width / beta / factor) * factor;
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = Math.ceil((height * beta) / factor) * factor;
    wBar = Math.ceil((width * beta) / factor) * factor;
  }
  return hBar >= factor && wBar >= factor ? { height: hBar, width: wBar } : undefined;
}

describe('smartResize', () => {
  it('rounds 854 px to 840, not 868 (Python round-half-to-even)', () => {
    expect(smartResize(480, 854)).toEqual({ height: 476, width: 840 });
  });

  it('matches qwen-vl-utils for every golden image case', () => {
    for (const item of meta.image_cases) {
      const [width, height] = item.source_wh;
      const size = resolveImageSize(height, width, {
        minPixels: item.qwen_vl_utils_ele.min_pixels,
        maxPixels: item.qwen_vl_utils_ele.max_pixels,
      });
      expect([size.height, size.width], item.key).toEqual(item.resized_hw);
      expect([1, size.height / 14, size.width / 14], item.key).toEqual(item.image_grid_thw);
    }
  });

  it('takes resized_height/resized_width through smart_resize with the default budgets (tiny-a image case)', () => {
    const tiny = JSON.parse(readFileSync(fixturePath('golden', 'tiny-a', 'cases', 'meta.json'), 'utf8')) as {
      cases: { name: string; qwen_vl_utils_ele?: { resized_height: number; resized_width: number } }[];
    };
    const ele = tiny.cases.find((entry) => entry.name === 'image')?.qwen_vl_utils_ele;
    expect(ele).toBeDefined();
    const size = resolveImageSize(360, 640, {
      resizedHeight: ele?.resized_height,
      resizedWidth: ele?.resized_width,
      maxPixels: 1,
    });
    expect(size).toEqual({ height: 252, width: 392 });
    // Only one of the pair: ignored, as in fetch_image.
    expect(resolveImageSize(360, 640, { resizedHeight: 252 })).toEqual({ height: 364, width: 644 });
  });

  it('uses the floor branch for too many pixels and the ceil branch for too few', () => {
    expect(smartResize(2000, 3000, { maxPixels: 230400 })).toEqual({ height: 364, width: 560 });
    expect(smartResize(10, 10)).toEqual({ height: 56, width: 56 });
    expect(smartResize(1, 1)).toEqual({ height: 56, width: 56 });
  });

  it('rejects aspect ratios above 200 and invalid sizes', () => {
    expect(() => smartResize(1, 201)).toThrow(UnsupportedAspectRatioError);
    expect(smartResize(1, 200)).toEqual({ height: 28, width: 196 });
    expect(() => smartResize(0, 10)).toThrow(InvalidMediaOptionsError);
    expect(() => smartResize(Number.NaN, 10)).toThrow(InvalidMediaOptionsError);
    expect(() => smartResize(10, 10, { maxPixels: -1 })).toThrow(InvalidMediaOptionsError);
    expect(() => smartResize(10, 10, { factor: 2.5 })).toThrow(InvalidMediaOptionsError);
  });

  it('equals qwen-vl-utils 0.0.11 wherever it gives a valid size, and refuses its 0-pixel sides', () => {
    const cases = fc.record({
      short: fc.integer({ min: 1, max: 5_000 }),
      ratio: fc.double({ min: 1, max: 200, noNaN: true }),
      tall: fc.boolean(),
      minUnits: fc.integer({ min: 4, max: 400 }),
      maxUnits: fc.integer({ min: 4, max: 16_384 }),
    });
    fc.assert(
      fc.property(cases, ({ short, ratio, tall, minUnits, maxUnits }) => {
        const long = Math.max(short, Math.floor(short * ratio));
        const [height, width] = tall ? [long, short] : [short, long];
        const budget = { minPixels: minUnits * 784, maxPixels: maxUnits * 784 };
        const expected = reference0011(height, width, budget.minPixels, budget.maxPixels);
        if (expected === undefined) {
          expect(() => smartResize(height, width, budget)).toThrow(InvalidMediaOptionsError);
        } else {
          expect(smartResize(height, width, budget)).toEqual(expected);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('explains the degenerate case with the smallest max_pixels that works', () => {
    // 0.0.11: beta = sqrt(100·1000 / 3136) ≈ 5.65, floor(100 / beta / 28) = 0 -> a 0 x 168 image.
    expect(reference0011(100, 1000, 3136, 3136)).toBeUndefined();
    expect(() => smartResize(100, 1000, { maxPixels: 3136 })).toThrow(
      /max_pixels 3136 is too small for a 1000x100 image/,
    );
    const smallest = smallestUsableMaxPixels(100, 1000);
    expect(smallest).toBeGreaterThan(3136);
    expect(() => smartResize(100, 1000, { maxPixels: smallest - 1 })).toThrow(InvalidMediaOptionsError);
    expect(smartResize(100, 1000, { maxPixels: smallest })).toEqual(reference0011(100, 1000, 3136, smallest));
    // A 1 x 200 strip under the default budgets never reaches the floor branch.
    expect(smartResize(1, 200)).toEqual({ height: 28, width: 196 });
  });

  it('gives sides that are multiples of 28, within budget, with the aspect ratio kept within rounding', () => {
    const sizes = fc
      .tuple(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 200 }), fc.boolean())
      .map(([short, ratioTimes, tall]) => {
        const long = Math.min(short * ratioTimes, 40_000);
        return tall ? { height: long, width: short } : { height: short, width: long };
      })
      .filter(({ height, width }) => Math.max(height, width) / Math.min(height, width) <= 200);
    const budgets = fc
      .tuple(fc.integer({ min: 4, max: 2_000 }), fc.integer({ min: 4, max: 20_000 }))
      .map(([minUnits, extra]) => ({ minPixels: minUnits * 784, maxPixels: (minUnits * 4 + extra) * 784 }));
    fc.assert(
      fc.property(sizes, budgets, ({ height, width }, { minPixels, maxPixels }) => {
        if (reference0011(height, width, minPixels, maxPixels) === undefined) return;
        const size = smartResize(height, width, { minPixels, maxPixels });
        const factor = IMAGE_FACTOR;
        expect(size.height % factor).toBe(0);
        expect(size.width % factor).toBe(0);
        expect(Math.min(size.height, size.width)).toBeGreaterThanOrEqual(factor);
        const clamped = size.height === factor || size.width === factor;
        if (!clamped) expect(size.height * size.width).toBeLessThanOrEqual(maxPixels);
        expect(size.height * size.width).toBeGreaterThanOrEqual(minPixels);
        // Some scale s maps each side to within one factor of its result: the aspect ratio is kept
        // up to the rounding of each side (a side clamped to one factor may have been smaller).
        const low = Math.max(
          (size.height === factor ? 0 : size.height - factor) / height,
          (size.width === factor ? 0 : size.width - factor) / width,
        );
        const high = Math.min((size.height + factor) / height, (size.width + factor) / width);
        expect(low).toBeLessThanOrEqual(high);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('video geometry', () => {
  it('matches the golden per-frame budgets and resized sizes', () => {
    for (const item of meta.video_meta_cases) {
      const budget = videoPixelBudget(item.nframes, { maxPixels: item.ele.max_pixels });
      expect(budget.maxPixels, `${item.setting} ${item.total_frames}`).toBe(item.effective_max_pixels);
      expect(budget.minPixels).toBe(item.min_pixels);
      for (const [source, expected] of Object.entries(item.resized)) {
        const [width, height] = source.split('x').map(Number) as [number, number];
        const size = resolveVideoFrameSize(height, width, item.nframes, { maxPixels: item.ele.max_pixels });
        expect([size.height, size.width], source).toEqual(expected.resized_hw);
        expect([item.nframes / 2, size.height / 14, size.width / 14]).toEqual(expected.grid_thw);
      }
    }
  });

  it('keeps the documented constants', () => {
    expect([MIN_PIXELS, MAX_PIXELS, VIDEO_TOTAL_PIXELS]).toEqual([3136, 12845056, 90316800]);
  });
});
