// Which frames of a video qwen-vl-utils 0.0.11 feeds the model, and at what size (`vision_process.py`:
// `smart_nframes`, `calculate_video_frame_range`, the `torch.linspace(...).round()` of the decord and
// torchcodec readers, and the pixel budget of `fetch_video`). Pure functions, no I/O: the ffmpeg reader
// applies the result to a real stream, and the golden `video_meta_cases` test it without decoding.
import { InvalidMediaOptionsError } from './media-errors.js';
import { TEMPORAL_PATCH_SIZE } from './patchify.js';
import {
  ceilByFactor,
  floorByFactor,
  FPS,
  FPS_MAX_FRAMES,
  FPS_MIN_FRAMES,
  FRAME_FACTOR,
  MAX_VIDEO_FPS,
  MIN_VIDEO_FPS,
  resolveVideoFrameSize,
  roundByFactor,
  roundHalfToEven,
  videoPixelBudget,
  type Size,
} from './smart-resize.js';

/** The options of a qwen-vl-utils video element (`{"type": "video", "fps": 12, "max_pixels": ...}`). */
export interface VideoSamplingOptions {
  /** Target sampling rate in frames per second (qwen-vl-utils `FPS` = 2.0 when neither this nor nframes is set). */
  fps?: number;
  /** Exact number of frames to sample (rounded to an even count); excludes `fps`. */
  nframes?: number;
  /** Lower bound on the sampled count when sampling by fps (default FPS_MIN_FRAMES = 4). */
  minFrames?: number;
  /** Upper bound on the sampled count when sampling by fps (default min(FPS_MAX_FRAMES, total)). */
  maxFrames?: number;
  /** Start of the clip in seconds (`video_start`). */
  videoStart?: number;
  /** End of the clip in seconds (`video_end`). */
  videoEnd?: number;
  /**
   * The clip as stream frames, [start, end) — one shot of a longer video. Exact where seconds would
   * round (a shot boundary is a frame); excludes videoStart/videoEnd.
   */
  frameRange?: { start: number; end: number };
  minPixels?: number;
  maxPixels?: number;
  /** Pixel budget of all frames together (`total_pixels`, default VIDEO_TOTAL_PIXELS). */
  totalPixels?: number;
  resizedHeight?: number;
  resizedWidth?: number;
}

export interface FrameRange {
  /** First frame of the clip (inclusive). */
  start: number;
  /** Last frame of the clip (inclusive). */
  end: number;
  /** end − start + 1: the `total_frames` the sampling rules see. */
  count: number;
}

export interface VideoSamplingPlan {
  /** Indices into the whole stream, ascending. */
  frameIndices: number[];
  /** The sampled count (`nframes`), always even. */
  frameCount: number;
  /** `nframes / total_frames · video_fps`: the rate the sampled frames represent. */
  sampleFps: number;
  range: FrameRange;
  /** The per-frame pixel budget after the total-pixel rule (`max_pixels` as fetch_video ends up using it). */
  effectiveMaxPixels: number;
  minPixels: number;
  /** smart_resize of the source frame under that budget: the size every frame is resized to. */
  resized: Size;
}

function requireFinitePositive(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
    throw new InvalidMediaOptionsError(`${name} must be a positive number.`);
  }
}

/** Rejects option combinations qwen-vl-utils asserts against or would crash on. */
export function validateVideoSamplingOptions(options: VideoSamplingOptions): void {
  if (options.fps !== undefined && options.nframes !== undefined) {
    // smart_nframes: `assert not ("fps" in ele and "nframes" in ele)`.
    throw new InvalidMediaOptionsError('Give either fps or nframes for a video, not both.');
  }
  requireFinitePositive('fps', options.fps);
  if (options.fps !== undefined && (options.fps < MIN_VIDEO_FPS || options.fps > MAX_VIDEO_FPS))
    throw new InvalidMediaOptionsError(`fps must be between ${MIN_VIDEO_FPS} and ${MAX_VIDEO_FPS}.`);
  requireFinitePositive('nframes', options.nframes);
  requireFinitePositive('min_frames', options.minFrames);
  requireFinitePositive('max_frames', options.maxFrames);
  requireFinitePositive('min_pixels', options.minPixels);
  requireFinitePositive('max_pixels', options.maxPixels);
  requireFinitePositive('total_pixels', options.totalPixels);
  requireFinitePositive('resized_height', options.resizedHeight);
  requireFinitePositive('resized_width', options.resizedWidth);
  if ((options.resizedHeight === undefined) !== (options.resizedWidth === undefined)) {
    // qwen-vl-utils silently ignores a lone one; an API should say so.
    throw new InvalidMediaOptionsError('Give resized_height and resized_width together.');
  }
  if (options.frameRange !== undefined) {
    const { start, end } = options.frameRange;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start)
      throw new InvalidMediaOptionsError('A frame range needs integer frames with 0 <= start < end.');
    if (options.videoStart !== undefined || options.videoEnd !== undefined)
      throw new InvalidMediaOptionsError('Give either a frame range or video_start/video_end, not both.');
  }
  for (const [name, value] of [
    ['video_start', options.videoStart],
    ['video_end', options.videoEnd],
  ] as const) {
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new InvalidMediaOptionsError(`${name} must be a non-negative number of seconds.`);
    }
  }
}

/**
 * `calculate_video_frame_range`: the frames between `video_start` and `video_end` (seconds), or the
 * whole stream. The start rounds up and the end down to whole frames, both clamped to the stream.
 */
export function videoFrameRange(options: VideoSamplingOptions, totalFrames: number, videoFps: number): FrameRange {
  if (!(videoFps > 0) || !Number.isFinite(videoFps))
    throw new InvalidMediaOptionsError('The video has no usable frame rate.');
  if (!Number.isInteger(totalFrames) || totalFrames <= 0)
    throw new InvalidMediaOptionsError('The video has no frames.');
  if (options.frameRange !== undefined) {
    const start = Math.min(options.frameRange.start, totalFrames - 1);
    const end = Math.min(options.frameRange.end, totalFrames) - 1;
    if (end < start) throw new InvalidMediaOptionsError('The frame range holds no frames of this video.');
    return { start, end, count: end - start + 1 };
  }
  if (options.videoStart === undefined && options.videoEnd === undefined) {
    return { start: 0, end: totalFrames - 1, count: totalFrames };
  }
  const duration = totalFrames / videoFps;
  const clamp = (seconds: number) => Math.max(0, Math.min(seconds, duration));
  const start = options.videoStart === undefined ? 0 : Math.ceil(clamp(options.videoStart) * videoFps);
  const end =
    options.videoEnd === undefined
      ? totalFrames - 1
      : Math.min(Math.floor(clamp(options.videoEnd) * videoFps), totalFrames - 1);
  if (start >= end) {
    throw new InvalidMediaOptionsError(
      `The clip from video_start to video_end holds no frames of this ${duration.toFixed(2)} s video.`,
    );
  }
  return { start, end, count: end - start + 1 };
}

/**
 * `smart_nframes(ele, total_frames, video_fps)` of 0.0.11: with `nframes`, that count rounded to an
 * even number; otherwise `total / video_fps · fps` clamped to [min_frames, max_frames] and to the
 * total, then floored to an even number. The result must lie in [FRAME_FACTOR, total].
 */
export function smartFrameCount(options: VideoSamplingOptions, totalFrames: number, videoFps: number): number {
  let frameCount: number;
  if (options.nframes !== undefined) {
    frameCount = roundByFactor(options.nframes, FRAME_FACTOR);
  } else {
    const fps = options.fps ?? FPS;
    const minFrames = ceilByFactor(options.minFrames ?? FPS_MIN_FRAMES, FRAME_FACTOR);
    const maxFrames = floorByFactor(options.maxFrames ?? Math.min(FPS_MAX_FRAMES, totalFrames), FRAME_FACTOR);
    const wanted = (totalFrames / videoFps) * fps;
    frameCount = floorByFactor(Math.min(Math.min(Math.max(wanted, minFrames), maxFrames), totalFrames), FRAME_FACTOR);
  }
  if (!(frameCount >= FRAME_FACTOR && frameCount <= totalFrames)) {
    throw new InvalidMediaOptionsError(
      `The video needs between ${FRAME_FACTOR} and ${totalFrames} sampled frames, but the options give ${frameCount}.`,
    );
  }
  return frameCount;
}

/**
 * `torch.linspace(start, end, steps)` in float32 as torch's CPU kernel computes it: the step is
 * `(end − start) / (steps − 1)` in float32; the first half of the points is `start + step·i` and the
 * second half `end − step·(steps − 1 − i)` (aten RangeFactoriesKernel.cpp, `linspace_kernel`, which
 * counts from both ends so the last point is exactly `end`). Every operation rounds to float32.
 */
export function linspaceFloat32(start: number, end: number, steps: number): Float32Array {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
  const values = new Float32Array(steps);
  const start32 = Math.fround(start);
  const end32 = Math.fround(end);
  if (steps === 1) {
    values[0] = start32;
    return values;
  }
  const step = Math.fround(Math.fround(end32 - start32) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    values[i] =
      i < halfway
        ? Math.fround(start32 + Math.fround(step * i))
        : Math.fround(end32 - Math.fround(step * (steps - 1 - i)));
  }
  return values;
}

/** `torch.linspace(start, end, n).round().long()`: `torch.round` rounds half to even. */
export function sampleFrameIndices(range: FrameRange, frameCount: number): number[] {
  return Array.from(linspaceFloat32(range.start, range.end, frameCount), (value) => roundHalfToEven(value));
}

/** Everything fetch_video decides before decoding, for a stream of `totalFrames` frames at `videoFps`. */
export function planVideoSampling(
  options: VideoSamplingOptions,
  stream: { totalFrames: number; videoFps: number; width: number; height: number },
): VideoSamplingPlan {
  validateVideoSamplingOptions(options);
  const range = videoFrameRange(options, stream.totalFrames, stream.videoFps);
  const frameCount = smartFrameCount(options, range.count, stream.videoFps);
  const frameIndices = sampleFrameIndices(range, frameCount);
  // `nframes / max(total_frames, 1e-6) * video_fps` (the total is that of the clip).
  const sampleFps = (frameCount / Math.max(range.count, 1e-6)) * stream.videoFps;
  const { effectiveMaxPixels, minPixels, resized } = frameSizePlan(options, frameCount, stream.height, stream.width);
  return { frameIndices, frameCount, sampleFps, range, effectiveMaxPixels, minPixels, resized };
}

/** The size decision of fetch_video for `frameCount` frames of `height × width`. */
export function frameSizePlan(
  options: VideoSamplingOptions,
  frameCount: number,
  height: number,
  width: number,
): { effectiveMaxPixels: number; minPixels: number; resized: Size } {
  // resolveVideoFrameSize applies the same budget; it is recomputed here only to report it.
  const budget = videoPixelBudget(frameCount, options);
  const resized = resolveVideoFrameSize(height, width, frameCount, options);
  return { effectiveMaxPixels: budget.maxPixels, minPixels: budget.minPixels, resized };
}

/**
 * `second_per_grid_ts` as `Qwen2_5_VLProcessor` computes it: `temporal_patch_size / fps` for the fps
 * the processor is called with (ShotBench passes fps=12.0 → 1/6; the processor default 2.0 → 1.0).
 * It is not derived from the sampled frames' actual rate. get_rope_index later casts it to int64.
 */
export function secondPerGridTs(processorFps: number = FPS, temporalPatchSize: number = TEMPORAL_PATCH_SIZE): number {
  if (!(processorFps > 0) || !Number.isFinite(processorFps))
    throw new InvalidMediaOptionsError('fps must be a positive number.');
  return temporalPatchSize / processorFps;
}
