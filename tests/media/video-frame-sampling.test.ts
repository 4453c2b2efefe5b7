import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  linspaceFloat32,
  planVideoSampling,
  sampleFrameIndices,
  secondPerGridTs,
  smartFrameCount,
  videoFrameRange,
  type VideoSamplingOptions,
} from '../../src/media/video-frame-sampling.js';
import { MediaError } from '../../src/media/media-errors.js';
import { readProcessorMeta } from './golden.js';

interface GoldenVideoMetaCaseFull {
  total_frames: number;
  video_fps: number;
  setting: string;
  ele: { fps?: number; max_pixels?: number };
  nframes: number;
  frame_indices: number[];
  sample_fps: number;
  effective_max_pixels: number;
  min_pixels: number;
  resized: Record<string, { resized_hw: [number, number]; grid_thw: [number, number, number]; llm_tokens: number }>;
  second_per_grid_ts_processor: number;
  second_per_grid_ts_processor_float32: number;
  second_per_grid_ts_if_sample_fps_passed: number;
  second_per_grid_t_after_int64_cast_in_get_rope_index: number;
}

const cases = readProcessorMeta().video_meta_cases as unknown as GoldenVideoMetaCaseFull[];

function optionsOf(ele: GoldenVideoMetaCaseFull['ele']): VideoSamplingOptions {
  return { fps: ele.fps, maxPixels: ele.max_pixels };
}

describe('video frame sampling against qwen-vl-utils 0.0.11 (golden video_meta_cases)', () => {
  it('covers all ten cases', () => {
    expect(cases).toHaveLength(10);
  });

  for (const golden of cases) {
    const name = `${golden.total_frames} frames at ${golden.video_fps} fps, ${golden.setting}`;
    it(name, () => {
      for (const [source, expected] of Object.entries(golden.resized)) {
        const [width, height] = source.split('x').map(Number) as [number, number];
        const plan = planVideoSampling(optionsOf(golden.ele), {
          totalFrames: golden.total_frames,
          videoFps: golden.video_fps,
          width,
          height,
        });
        expect(plan.frameCount).toBe(golden.nframes);
        expect(plan.frameIndices).toEqual(golden.frame_indices);
        expect(plan.sampleFps).toBe(golden.sample_fps);
        expect(plan.effectiveMaxPixels).toBe(golden.effective_max_pixels);
        expect(plan.minPixels).toBe(golden.min_pixels);
        expect([plan.resized.height, plan.resized.width]).toEqual(expected.resized_hw);
        const grid = [plan.frameCount / 2, plan.resized.height / 14, plan.resized.width / 14];
        expect(grid).toEqual(expected.grid_thw);
        expect((grid[0]! * grid[1]! * grid[2]!) / 4).toBe(expected.llm_tokens);
      }
      const spgt = secondPerGridTs(golden.ele.fps);
      expect(spgt).toBe(golden.second_per_grid_ts_processor);
      expect(Math.fround(spgt)).toBe(golden.second_per_grid_ts_processor_float32);
      expect(Math.trunc(Math.fround(spgt))).toBe(golden.second_per_grid_t_after_int64_cast_in_get_rope_index);
      const plan = planVideoSampling(optionsOf(golden.ele), {
        totalFrames: golden.total_frames,
        videoFps: golden.video_fps,
        width: 1280,
        height: 720,
      });
      expect(secondPerGridTs(plan.sampleFps)).toBe(golden.second_per_grid_ts_if_sample_fps_passed);
    });
  }
});

describe('smartFrameCount', () => {
  it('rounds an explicit nframes to an even count, ties to even like Python', () => {
    expect(smartFrameCount({ nframes: 3 }, 100, 30)).toBe(4); // round(1.5) = 2
    expect(smartFrameCount({ nframes: 5 }, 100, 30)).toBe(4); // round(2.5) = 2
    expect(smartFrameCount({ nframes: 7 }, 100, 30)).toBe(8);
  });

  it('rejects counts outside [2, total] with a typed error', () => {
    expect(() => smartFrameCount({ nframes: 1 }, 100, 30)).toThrow(MediaError);
    expect(() => smartFrameCount({ nframes: 200 }, 100, 30)).toThrow(/between 2 and 100/);
    // A one-frame video cannot give the 2 frames of a temporal patch.
    expect(() => smartFrameCount({}, 1, 30)).toThrow(MediaError);
  });

  it('applies min_frames and max_frames', () => {
    expect(smartFrameCount({ fps: 1 }, 30, 30)).toBe(4); // 1 frame wanted, FPS_MIN_FRAMES 4
    expect(smartFrameCount({ fps: 30, maxFrames: 11 }, 300, 30)).toBe(10);
    expect(smartFrameCount({ fps: 1, minFrames: 7 }, 300, 30)).toBe(10); // ceil(7/2)*2 = 8, 10 wanted
    expect(smartFrameCount({ fps: 0.1, minFrames: 7 }, 300, 30)).toBe(8);
  });

  it('always gives an even count within the stream (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: 100_000 }),
        fc.double({ min: 1, max: 240, noNaN: true }),
        fc.double({ min: 0.05, max: 60, noNaN: true }),
        (total, videoFps, fps) => {
          const count = smartFrameCount({ fps }, total, videoFps);
          return count % 2 === 0 && count >= 2 && count <= Math.min(total, 768);
        },
      ),
    );
  });
});

describe('linspaceFloat32', () => {
  it('hits both ends exactly and is symmetric in construction', () => {
    const values = linspaceFloat32(0, 299, 120);
    expect(values[0]).toBe(0);
    expect(values[119]).toBe(299);
    expect(linspaceFloat32(3, 3, 1)[0]).toBe(3);
  });

  it('computes the second half from the end in float32', () => {
    // step = fround(1/3); from the start, 2·step would be 0.6666666865; from the end it is 1 − step.
    const values = linspaceFloat32(0, 1, 4);
    expect(values[1]).toBe(Math.fround(1 / 3));
    expect(values[2]).toBe(Math.fround(1 - Math.fround(1 / 3)));
  });

  it('gives ascending indices within the range (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5000 }), fc.integer({ min: 1, max: 400 }), (total, half) => {
        const count = Math.min(total, half * 2);
        if (count < 2) return true;
        const indices = sampleFrameIndices({ start: 0, end: total - 1, count: total }, count);
        return (
          indices[0] === 0 &&
          indices.at(-1) === total - 1 &&
          indices.every((value, i) => i === 0 || value >= indices[i - 1]!)
        );
      }),
    );
  });
});

describe('videoFrameRange (video_start / video_end)', () => {
  it('rounds the start up and the end down to frames', () => {
    expect(videoFrameRange({ videoStart: 1.01, videoEnd: 2.5 }, 300, 30)).toEqual({ start: 31, end: 75, count: 45 });
    expect(videoFrameRange({}, 300, 30)).toEqual({ start: 0, end: 299, count: 300 });
    expect(videoFrameRange({ videoEnd: 100 }, 300, 30)).toEqual({ start: 0, end: 299, count: 300 });
  });

  it('rejects an empty clip', () => {
    expect(() => videoFrameRange({ videoStart: 5, videoEnd: 5 }, 300, 30)).toThrow(MediaError);
  });

  it('samples within the clip', () => {
    const plan = planVideoSampling(
      { fps: 2, videoStart: 2, videoEnd: 6 },
      { totalFrames: 300, videoFps: 30, width: 640, height: 360 },
    );
    expect(plan.frameIndices[0]).toBe(60);
    expect(plan.frameIndices.at(-1)).toBe(180);
    expect(plan.frameCount).toBe(8);
  });
});

describe('option validation', () => {
  it('rejects fps together with nframes, and bad numbers', () => {
    const stream = { totalFrames: 100, videoFps: 25, width: 640, height: 360 };
    expect(() => planVideoSampling({ fps: 2, nframes: 4 }, stream)).toThrow(/either fps or nframes/);
    expect(() => planVideoSampling({ fps: -1 }, stream)).toThrow(MediaError);
    expect(() => planVideoSampling({ fps: Number.NaN }, stream)).toThrow(MediaError);
    expect(() => planVideoSampling({ resizedHeight: 100 }, stream)).toThrow(/together/);
  });

  it('uses resized_height/width through smart_resize', () => {
    const plan = planVideoSampling(
      { resizedHeight: 100, resizedWidth: 200 },
      { totalFrames: 100, videoFps: 25, width: 640, height: 360 },
    );
    expect(plan.resized).toEqual({ height: 112, width: 196 });
  });
});
