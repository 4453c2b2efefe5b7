// The golden clip (tests/fixtures/golden/README.md §5): 10 synthetic 1280x720 frames at 30 fps through the verbatim
// qwen-vl-utils fetch_video with the ShotBench element; frames [0, 3, 6, 9] resized to 336x616 with
// torchvision's antialiased bicubic, then the fused normalisation and patchify.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { patchify, VIDEO_NORMALIZATION } from '../../src/media/patchify.js';
import { antialiasBicubicWeights, resizeBicubicAntialias } from '../../src/media/tensor-resize.js';
import { planVideoSampling } from '../../src/media/video-frame-sampling.js';
import { preprocessVideoFrames } from '../../src/media/video-preprocess.js';
import { gatherRows, processorFile, readClipResizedFrames, readProcessorMeta, sha256Of } from './golden.js';

const clip = readProcessorMeta().video_clip;
const [height, width] = clip.resized_hw;
const frameBytes = height * width * 3;
const COLUMNS = 1176;

let pngs: Buffer[];
let sources: { data: Uint8Array; width: number; height: number; channels: number }[];
let goldenFrames: Uint8Array[];
/** The reference's sampled pixel_values_videos rows: patchify of its resized frames, checked against its sha256. */
let goldenRows: Float32Array;

beforeAll(async () => {
  pngs = clip.frame_pngs.map((file) => readFileSync(processorFile(file)));
  sources = await Promise.all(
    pngs.map(async (png) => {
      const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
    }),
  );
  goldenFrames = await readClipResizedFrames(clip);
  const { pixelValues } = patchify(goldenFrames, height, width, { normalization: VIDEO_NORMALIZATION });
  goldenRows = gatherRows(pixelValues, clip.pixel_values_videos_row_index);
});

/** Largest |a − b| over the golden sampled rows, and how many values differ at all. */
function compareSampledRows(pixelValues: Float32Array) {
  const ours = gatherRows(pixelValues, clip.pixel_values_videos_row_index);
  let maxAbs = 0;
  let differing = 0;
  ours.forEach((value, index) => {
    const difference = Math.abs(value - goldenRows[index]!);
    if (difference > 0) differing += 1;
    maxAbs = Math.max(maxAbs, difference);
  });
  return { maxAbs, differing, total: ours.length };
}

describe('golden video clip', () => {
  it('plans the same sampling as fetch_video', () => {
    const [sourceWidth, sourceHeight] = clip.source_frames_wh;
    const plan = planVideoSampling(
      { fps: clip.ele.fps, maxPixels: clip.ele.max_pixels },
      {
        totalFrames: clip.total_frames,
        videoFps: clip.video_fps,
        width: sourceWidth,
        height: sourceHeight,
      },
    );
    expect(plan.frameIndices).toEqual(clip.frame_indices);
    expect(plan.sampleFps).toBe(clip.sample_fps);
    expect([plan.resized.height, plan.resized.width]).toEqual(clip.resized_hw);
  });

  it('resizes like torchvision antialiased bicubic: at most ±1, on under 0.1 % of the values', () => {
    let maxAbs = 0;
    let differing = 0;
    sources.forEach((source, frame) => {
      const resized = resizeBicubicAntialias(source, width, height).data;
      const golden = goldenFrames[frame]!;
      for (let i = 0; i < frameBytes; i++) {
        const difference = Math.abs(resized[i]! - golden[i]!);
        if (difference > 0) differing += 1;
        maxAbs = Math.max(maxAbs, difference);
      }
    });
    // Measured: 1360 of 2,483,712 values (0.055 %) differ by 1, all at exact-tie sums (x.5) where
    // float32 summation order decides the rounding. A wrong kernel (a = −0.75, no antialias, wrong
    // window) differs by several levels on tens of percent of the values.
    const total = goldenFrames.length * frameBytes;
    console.info(`video resize vs golden: max |diff| ${maxAbs}, ${differing} of ${total} values differ`);
    expect(maxAbs).toBeLessThanOrEqual(1);
    expect(differing / total).toBeLessThan(0.001);
  });

  it('patchifies the golden resized frames into exactly the golden pixel_values_videos rows', () => {
    expect(goldenFrames.map((frame) => frame.length)).toEqual([frameBytes, frameBytes, frameBytes, frameBytes]);
    const { pixelValues, gridThw } = patchify(goldenFrames, height, width, { normalization: VIDEO_NORMALIZATION });
    expect(gridThw).toEqual(clip.video_grid_thw);
    expect(sha256Of(gatherRows(pixelValues, clip.pixel_values_videos_row_index))).toBe(
      clip.pixel_values_videos_sampled_sha256,
    );
  });

  it('takes a list of frame images through the video path (vLLM data:video/jpeg form)', async () => {
    // The reference rows the comparison uses are the reference's own (same digest).
    expect(sha256Of(goldenRows)).toBe(clip.pixel_values_videos_sampled_sha256);
    const result = await preprocessVideoFrames(pngs, { fps: clip.ele.fps, maxPixels: clip.ele.max_pixels });
    expect(result.gridThw).toEqual(clip.video_grid_thw);
    expect([result.resizedHeight, result.resizedWidth]).toEqual(clip.resized_hw);
    expect(result.secondPerGridTs).toBe(clip.second_per_grid_ts_shotbench);
    expect(result.sampleFps).toBe(clip.ele.fps);
    const { maxAbs, differing, total } = compareSampledRows(result.pixelValues);
    // One uint8 level is 1 / (255 · std) ≤ 0.01501 after the CLIP normalisation.
    console.info(
      `pixel_values_videos vs golden: max |diff| ${maxAbs.toExponential(3)}, ${differing} of ${total} sampled values differ`,
    );
    expect(maxAbs).toBeLessThan(0.0151);
    expect(differing / total).toBeLessThan(0.001);
  });

  it('pads an odd frame list by repeating the last frame, and rejects mixed sizes', async () => {
    const odd = await preprocessVideoFrames(pngs.slice(0, 3), { fps: 12, maxPixels: clip.ele.max_pixels });
    expect(odd.gridThw).toEqual([2, 24, 44]);
    const rowsPerGroup = 24 * 44;
    // In the second temporal group both frames are the third image: columns T=0 and T=1 agree.
    const row = rowsPerGroup + 5;
    for (let column = 0; column < 196; column++) {
      expect(odd.pixelValues[row * COLUMNS + column]).toBe(odd.pixelValues[row * COLUMNS + 196 + column]);
    }
    const small = await sharp(pngs[0]).resize(640, 360).png().toBuffer();
    await expect(preprocessVideoFrames([pngs[0]!, small])).rejects.toMatchObject({ code: 'invalid_media_options' });
  });
});

describe('antialiasBicubicWeights', () => {
  it('normalises each window to 1 and widens it when downsampling', () => {
    const down = antialiasBicubicWeights(1280, 616);
    const up = antialiasBicubicWeights(100, 300);
    for (const axis of [down, up]) {
      for (let i = 0; i < axis.start.length; i++) {
        let sum = 0;
        for (let j = 0; j < axis.size[i]!; j++) sum += axis.weights[i * axis.stride + j]!;
        expect(sum).toBeCloseTo(1, 5);
      }
    }
    expect(Math.max(...down.size)).toBeGreaterThan(8); // support 2 · 2.08 on each side
    expect(Math.max(...up.size)).toBeLessThanOrEqual(5); // support 2 when enlarging
  });

  it('keeps a constant image constant and copies an unchanged size', () => {
    const flat = { data: new Uint8Array(50 * 40 * 3).fill(77), width: 50, height: 40, channels: 3 };
    expect(resizeBicubicAntialias(flat, 28, 56).data.every((value) => value === 77)).toBe(true);
    const ramp = {
      data: Uint8Array.from({ length: 30 * 20 * 3 }, (_, i) => i % 251),
      width: 30,
      height: 20,
      channels: 3,
    };
    expect(Buffer.compare(resizeBicubicAntialias(ramp, 30, 20).data, ramp.data)).toBe(0);
  });
});
