// The video path of ShotBench's evaluation, end to end: qwen-vl-utils 0.0.11 `fetch_video` (sample
// frames by fps, resize them with torchvision's antialiased bicubic) followed by the Hugging Face
// Qwen2.5-VL video processor (fused normalisation, temporal patches of 2, patchify) and the
// processor's `second_per_grid_ts`. Two inputs: a video file (or its bytes), decoded with ffmpeg, and
// a list of already-decoded frame images (vLLM's `data:video/jpeg;base64,<f1>,<f2>,…` form).
import { decodeImage, readImageSize } from './image-decode.js';
import {
  CorruptMediaError,
  InvalidMediaOptionsError,
  MediaAbortedError,
  MediaTooLargeError,
  UnsupportedFormatError,
} from './media-errors.js';
import { openVideoInput } from './media-file.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './media-limits.js';
import { patchify, VIDEO_NORMALIZATION, type GridThw } from './patchify.js';
import { FPS, type Size } from './smart-resize.js';
import { resizeBicubicAntialias } from './tensor-resize.js';
import { countVideoPackets, probeVideoFile, type VideoProbe } from './ffmpeg-probe.js';
import { decodeSelectedFrames } from './ffmpeg-decode.js';
import { withTemporaryFile } from './ffmpeg-temp-input.js';
import { sniffVideoContainer, VIDEO_SNIFF_BYTES } from './video-container.js';
import {
  frameSizePlan,
  planVideoSampling,
  secondPerGridTs,
  validateVideoSamplingOptions,
  type VideoSamplingOptions,
} from './video-frame-sampling.js';

export interface VideoPreprocessOptions extends VideoSamplingOptions {
  /**
   * The fps the Hugging Face processor is called with, which alone sets `second_per_grid_ts`
   * (temporal_patch_size / fps). Defaults to `fps`, else the processor's 2.0 — ShotBench passes the
   * same 12 it samples with. For a frame list, `fps` is the rate the frames were taken at.
   */
  processorFps?: number;
}

export interface VideoPreprocessContext {
  limits?: MediaLimits;
  signal?: AbortSignal;
  /** Executables; found on PATH by default. */
  ffmpegPath?: string;
  ffprobePath?: string;
  /** ffmpeg decoder threads; 0 (default) lets ffmpeg choose. */
  decoderThreads?: number;
  /** Called with the pid of every ffmpeg/ffprobe process started (metrics, tests). */
  onProcessSpawn?: (pid: number) => void;
}

export interface PreprocessedVideo {
  /** float32 [gridT·gridH·gridW, 1176], rows [t, h/2, w/2, 2, 2], columns [C, T, 14, 14]. */
  pixelValues: Float32Array;
  gridThw: GridThw;
  /** temporal_patch_size / processor fps; get_rope_index casts it to int64 (tests/fixtures/golden/README.md §4). */
  secondPerGridTs: number;
  /** Indices of the sampled frames in the stream (for a frame list: 0…n−1). */
  frameIndices: number[];
  /** nframes / total_frames · video_fps (for a frame list: the fps it was given, default 2). */
  sampleFps: number;
  /** Decoded frame size (after display rotation). */
  width: number;
  height: number;
  resizedWidth: number;
  resizedHeight: number;
  durationSeconds: number;
  /** Frames in the stream as the reader counts them (declared, or packets counted). */
  totalFrames: number;
  /** Average frame rate of the stream. */
  videoFps: number;
  /** Clockwise rotation ffmpeg applied (0 for frame lists). */
  rotation: number;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new MediaAbortedError();
}

/**
 * Refuses what the limits forbid, from metadata only (nothing has been decoded yet). For one shot of
 * a longer video (a frame range) the duration limit applies to the shot, which is what is sampled.
 */
function checkProbeLimits(probe: VideoProbe, limits: MediaLimits, options: VideoSamplingOptions): void {
  const duration =
    options.frameRange === undefined
      ? probe.durationSeconds
      : (options.frameRange.end - options.frameRange.start) / probe.frameRate;
  if (duration > limits.maxVideoDurationSeconds) {
    throw new MediaTooLargeError(
      `The video lasts ${duration.toFixed(1)} s; the limit is ${limits.maxVideoDurationSeconds} s.`,
    );
  }
  if (probe.width * probe.height > limits.maxVideoFramePixels) {
    throw new MediaTooLargeError(
      `Video frames of ${probe.width}x${probe.height} exceed the limit of ${limits.maxVideoFramePixels} pixels.`,
    );
  }
}

function checkFrameCount(frameCount: number, limits: MediaLimits): void {
  if (frameCount > limits.maxVideoFrames) {
    throw new MediaTooLargeError(
      `${frameCount} frames were requested from the video; the limit is ${limits.maxVideoFrames}.`,
    );
  }
}

/**
 * Issue 17: the tokens a video will take follow from the sampling plan alone (temporal pairs of
 * frames × 14-pixel patches, merged 2×2), so a clip that can never fit the context is refused
 * before a frame is decoded (a 100,000-frame video was decoded and encoded for 44 s first).
 */
function checkVideoTokens(frameCount: number, size: Size, limits: MediaLimits): void {
  const tokens = Math.ceil(frameCount / 2) * (size.height / 28) * (size.width / 28);
  if (tokens > limits.maxVideoTokens) {
    throw new InvalidMediaOptionsError(
      `The video would take ${tokens} tokens at these settings (${frameCount} frames of ${size.width}x${size.height}); at most ${limits.maxVideoTokens} fit. Lower fps or max_pixels, or send a shorter clip.`,
    );
  }
}

/** Fused normalisation, temporal pairs and patchify (the last frame repeats when the count is odd). */
function patchifyFrames(frames: Uint8Array[], size: Size) {
  return patchify(frames, size.height, size.width, { normalization: VIDEO_NORMALIZATION });
}

function processorSecondPerGridTs(options: VideoPreprocessOptions): number {
  return secondPerGridTs(options.processorFps ?? options.fps ?? FPS);
}

/** Samples, decodes, resizes and patchifies a video file on disk. */
export async function preprocessVideoFile(
  path: string,
  options: VideoPreprocessOptions = {},
  context: VideoPreprocessContext = {},
): Promise<PreprocessedVideo> {
  const limits = context.limits ?? DEFAULT_MEDIA_LIMITS;
  validateVideoSamplingOptions(options);
  if (options.processorFps !== undefined) secondPerGridTs(options.processorFps);
  throwIfAborted(context.signal);

  const { input, container } = await openVideoInput(path, limits.maxInputBytes);
  const processOptions = { timeoutMs: limits.ffmpegTimeoutMs, signal: context.signal, onSpawn: context.onProcessSpawn };
  const probe = await probeVideoFile(input, container, {
    ...processOptions,
    ffprobePath: context.ffprobePath ?? 'ffprobe',
  });
  checkProbeLimits(probe, limits, options);
  const totalFrames =
    probe.declaredFrameCount ??
    (await countVideoPackets(input, probe, { ...processOptions, ffprobePath: context.ffprobePath ?? 'ffprobe' }));

  const plan = planVideoSampling(options, {
    totalFrames,
    videoFps: probe.frameRate,
    width: probe.width,
    height: probe.height,
  });
  checkFrameCount(plan.frameCount, limits);
  checkVideoTokens(plan.frameCount, plan.resized, limits);
  throwIfAborted(context.signal);

  const frames: Uint8Array[] = new Array<Uint8Array>(plan.frameCount);
  const source = { width: probe.width, height: probe.height, channels: 3 };
  await decodeSelectedFrames(
    input,
    probe,
    plan.frameIndices,
    (position, rgb) => {
      // Resize as each frame arrives: only the small frames are kept.
      frames[position] = resizeBicubicAntialias({ ...source, data: rgb }, plan.resized.width, plan.resized.height).data;
    },
    {
      ...processOptions,
      ffmpegPath: context.ffmpegPath ?? 'ffmpeg',
      threads: context.decoderThreads,
      // One shot of a longer clip starts decoding at its first frame (see DecodeFramesOptions.seekFrame).
      ...(options.frameRange === undefined ? {} : { seekFrame: plan.frameIndices[0] }),
    },
  );
  throwIfAborted(context.signal);

  const { pixelValues, gridThw } = patchifyFrames(frames, plan.resized);
  return {
    pixelValues,
    gridThw,
    secondPerGridTs: processorSecondPerGridTs(options),
    frameIndices: plan.frameIndices,
    sampleFps: plan.sampleFps,
    width: probe.width,
    height: probe.height,
    resizedWidth: plan.resized.width,
    resizedHeight: plan.resized.height,
    durationSeconds: probe.durationSeconds,
    totalFrames,
    videoFps: probe.frameRate,
    rotation: probe.rotation,
  };
}

/** Same as preprocessVideoFile for a video held in memory (written to a private temporary file). */
export async function preprocessVideoBytes(
  bytes: Uint8Array,
  options: VideoPreprocessOptions = {},
  context: VideoPreprocessContext = {},
): Promise<PreprocessedVideo> {
  const limits = context.limits ?? DEFAULT_MEDIA_LIMITS;
  validateVideoSamplingOptions(options);
  if (bytes.length === 0) throw new CorruptMediaError('The video is empty (0 bytes).');
  if (bytes.length > limits.maxInputBytes) {
    throw new MediaTooLargeError(`The video is ${bytes.length} bytes; the limit is ${limits.maxInputBytes} bytes.`);
  }
  if (sniffVideoContainer(bytes.subarray(0, VIDEO_SNIFF_BYTES)) === undefined) {
    throw new UnsupportedFormatError(
      'The data is not a supported video container (MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV or Ogg).',
    );
  }
  throwIfAborted(context.signal);
  return withTemporaryFile(bytes, (path) => preprocessVideoFile(path, options, context));
}

/**
 * A video given as its frames (encoded images, in order), as vLLM accepts it: every frame is taken
 * (no sampling), resized with the video resize to the video pixel budget of that many frames, and
 * patchified like a decoded video. `fps` is the rate the frames represent (qwen-vl-utils returns the
 * element's fps, default 2.0, as their sample fps). All frames must have the same size.
 */
export async function preprocessVideoFrames(
  images: readonly Uint8Array[],
  options: VideoPreprocessOptions = {},
  context: VideoPreprocessContext = {},
): Promise<PreprocessedVideo> {
  const limits = context.limits ?? DEFAULT_MEDIA_LIMITS;
  validateVideoSamplingOptions(options);
  if (options.nframes !== undefined || options.videoStart !== undefined || options.videoEnd !== undefined) {
    throw new InvalidMediaOptionsError(
      'nframes, video_start and video_end apply to video files, not to a list of frames.',
    );
  }
  if (images.length === 0) throw new InvalidMediaOptionsError('A video given as frames needs at least one frame.');
  checkFrameCount(images.length, limits);

  // Issue 17: every frame's size from its header first (nothing decoded): each within the frame
  // limit, all together within the frame-list budget, all the same. Then each frame is resized as
  // soon as it is decoded, so one full-size frame at most is held at a time.
  const sizes = [];
  let totalPixels = 0;
  for (const image of images) {
    const size = await readImageSize(image, context.signal);
    if (size.width * size.height > limits.maxVideoFramePixels) {
      throw new MediaTooLargeError(
        `Video frames of ${size.width}x${size.height} exceed the limit of ${limits.maxVideoFramePixels} pixels.`,
      );
    }
    totalPixels += size.width * size.height;
    sizes.push(size);
  }
  if (totalPixels > limits.maxFrameListPixels) {
    throw new MediaTooLargeError(
      `The ${images.length} frames hold ${totalPixels} pixels together; the limit is ${limits.maxFrameListPixels}.`,
    );
  }
  const firstSize = sizes[0]!;
  if (sizes.some((size) => size.width !== firstSize.width || size.height !== firstSize.height)) {
    throw new InvalidMediaOptionsError('All frames of a video must have the same size.');
  }
  // qwen-vl-utils pads a frame list to an even count; the budget is that of the padded video.
  const paddedCount = images.length + (images.length % 2);
  let first: { width: number; height: number } | undefined;
  let resized: Size | undefined;
  const frames: Uint8Array[] = [];
  for (const image of images) {
    throwIfAborted(context.signal);
    const frame = await decodeImage(image, { limits, signal: context.signal, applyExifOrientation: true });
    // The header size may differ from the decoded one by EXIF orientation: the decoded size rules.
    first ??= { width: frame.width, height: frame.height };
    if (frame.width !== first.width || frame.height !== first.height)
      throw new InvalidMediaOptionsError('All frames of a video must have the same size.');
    resized ??= frameSizePlan(options, paddedCount, first.height, first.width).resized;
    frames.push(
      resizeBicubicAntialias(
        { data: frame.pixels, width: frame.width, height: frame.height, channels: 3 },
        resized.width,
        resized.height,
      ).data,
    );
  }
  if (first === undefined || resized === undefined) throw new InvalidMediaOptionsError('A video needs frames.');
  const { pixelValues, gridThw } = patchifyFrames(frames, resized);
  const sampleFps = options.fps ?? FPS;
  return {
    pixelValues,
    gridThw,
    secondPerGridTs: processorSecondPerGridTs(options),
    frameIndices: frames.map((_, index) => index),
    sampleFps,
    width: first.width,
    height: first.height,
    resizedWidth: resized.width,
    resizedHeight: resized.height,
    durationSeconds: images.length / sampleFps,
    totalFrames: images.length,
    videoFps: sampleFps,
    rotation: 0,
  };
}
