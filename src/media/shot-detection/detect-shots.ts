// Splits a video file into shots in one ffmpeg pass: the video stream is decoded at its own frame
// rate (every frame, so a cut is placed on the exact frame) but scaled to DETECTION_WIDTH pixels
// wide, streamed as raw rgb24 through a pipe and measured frame by frame (frame-measurer.ts); nothing
// is written to disk and only a few tiny frames are held. Limits come from the probed metadata before
// decoding starts (duration, frame size, bytes), then from what is decoded (frame count, shots). An
// abort or a failure kills ffmpeg (runProcess settles only once it has exited).
import { CorruptMediaError, MediaTooLargeError } from '../media-errors.js';
import { openVideoInput } from '../media-file.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from '../media-limits.js';
import { runProcess } from '../ffmpeg-process.js';
import { countVideoPackets, probeVideoFile, type VideoProbe } from '../ffmpeg-probe.js';
import { DEMUXER_OF } from '../video-container.js';
import { findTransitions, shotsFromTransitions, type BoundarySettings, type ShotSpan } from './boundary-analysis.js';
import { FrameMeasurer } from './frame-measurer.js';
import {
  DEFAULT_SHOT_DETECTION_LIMITS,
  DETECTION_WIDTH,
  MAX_DETECTION_FPS,
  resolveShotDetectionOptions,
  type ShotDetectionLimits,
  type ShotDetectionOptions,
} from './shot-detection-options.js';

export interface DetectShotsContext {
  mediaLimits?: MediaLimits;
  detectionLimits?: ShotDetectionLimits;
  signal?: AbortSignal;
  ffmpegPath?: string;
  ffprobePath?: string;
  onProcessSpawn?: (pid: number) => void;
  /** Called now and then with the frames measured so far (progress of long clips). */
  onProgress?: (framesDone: number, framesExpected: number) => void;
}

export interface ShotList {
  /** Average frame rate of the stream: frame n starts at n / frameRate seconds. */
  frameRate: number;
  /** Frames decoded. */
  frameCount: number;
  durationSeconds: number;
  width: number;
  height: number;
  shots: ShotSpan[];
}

/** The detection size: DETECTION_WIDTH wide, the height by the aspect ratio (even, at least 2). */
export function detectionSize(probe: Pick<VideoProbe, 'width' | 'height'>): { width: number; height: number } {
  const width = Math.min(DETECTION_WIDTH, probe.width + (probe.width % 2));
  const height = Math.max(2, 2 * Math.round((width * probe.height) / probe.width / 2));
  return { width, height };
}

/** The tuning of boundary-analysis.ts for a stream at `frameRate` (see bench/shot-boundaries.ts). */
export function boundarySettings(
  options: ReturnType<typeof resolveShotDetectionOptions>,
  frameRate: number,
): BoundarySettings {
  return {
    threshold: options.threshold,
    strongThreshold: options.threshold * 3,
    adaptiveRatio: 3,
    adaptiveWindow: 2,
    minShotFrames: Math.max(1, Math.round(options.minShotSeconds * frameRate)),
    blackLevel: 12,
    maxFadeFrames: Math.round(3 * frameRate),
    dissolveThreshold: options.threshold,
    dissolveLinearity: 0.6,
  };
}

/** The dissolve window: half a second of frames (at least 4). */
export function dissolveWindow(frameRate: number): number {
  return Math.max(4, Math.round(frameRate / 2));
}

function detectionArguments(path: string, probe: VideoProbe, size: { width: number; height: number }): string[] {
  return [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    '-protocol_whitelist',
    'file',
    '-f',
    DEMUXER_OF[probe.container],
    '-i',
    path,
    '-map',
    `0:${probe.streamIndex}`,
    '-an',
    '-sn',
    '-dn',
    // Area averaging is the cheapest filter that does not alias fine detail into false change.
    '-vf',
    `scale=${size.width}:${size.height}:flags=area`,
    '-fps_mode',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

function checkProbe(probe: VideoProbe, mediaLimits: MediaLimits, limits: ShotDetectionLimits): void {
  if (probe.durationSeconds > limits.maxDurationSeconds) {
    throw new MediaTooLargeError(
      `The video lasts ${probe.durationSeconds.toFixed(1)} s; shots are detected in videos of at most ${limits.maxDurationSeconds} s.`,
    );
  }
  if (probe.width * probe.height > mediaLimits.maxVideoFramePixels) {
    throw new MediaTooLargeError(
      `Video frames of ${probe.width}x${probe.height} exceed the limit of ${mediaLimits.maxVideoFramePixels} pixels.`,
    );
  }
  if (probe.frameRate > MAX_DETECTION_FPS) {
    throw new MediaTooLargeError(
      `The video runs at ${probe.frameRate.toFixed(2)} fps; shots are detected at up to ${MAX_DETECTION_FPS} fps.`,
    );
  }
}

/**
 * The shots of the video file at `path`. Throws MediaError subclasses: UnsupportedFormatError,
 * CorruptMediaError (truncated or undecodable), MediaTooLargeError (too long, too many frames or
 * shots), MediaTimeoutError, MediaAbortedError, FfmpegUnavailableError, InvalidMediaOptionsError.
 */
export async function detectShots(
  path: string,
  options: ShotDetectionOptions = {},
  context: DetectShotsContext = {},
): Promise<ShotList> {
  const resolved = resolveShotDetectionOptions(options);
  const mediaLimits = context.mediaLimits ?? DEFAULT_MEDIA_LIMITS;
  const limits = context.detectionLimits ?? DEFAULT_SHOT_DETECTION_LIMITS;
  const { input, container } = await openVideoInput(path, mediaLimits.maxInputBytes);
  const probeOptions = {
    ffprobePath: context.ffprobePath ?? 'ffprobe',
    timeoutMs: mediaLimits.ffmpegTimeoutMs,
    signal: context.signal,
    onSpawn: context.onProcessSpawn,
  };
  const probe = await probeVideoFile(input, container, probeOptions);
  checkProbe(probe, mediaLimits, limits);
  const expectedFrames = probe.declaredFrameCount ?? (await countVideoPackets(input, probe, probeOptions));

  const detection = detectionSize(probe);
  const frameBytes = detection.width * detection.height * 3;
  // Decoded frames may exceed the declared count a little (edit lists); far more means lying metadata.
  const maxFrames = Math.ceil(Math.max(expectedFrames, limits.maxDurationSeconds * probe.frameRate) * 1.05) + 16;
  const measurer = new FrameMeasurer(detection.width, detection.height, dissolveWindow(probe.frameRate), maxFrames);
  const frame = new Uint8Array(frameBytes);
  let filled = 0;
  const progressEvery = Math.max(1, Math.round(probe.frameRate * 10));

  const result = await runProcess(context.ffmpegPath ?? 'ffmpeg', detectionArguments(input, probe, detection), {
    timeoutMs: limits.timeoutMs,
    signal: context.signal,
    onSpawn: context.onProcessSpawn,
    onStdout: (chunk) => {
      let offset = 0;
      while (offset < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - offset);
        frame.set(chunk.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (filled === frameBytes) {
          measurer.add(frame);
          filled = 0;
          if (measurer.frames % progressEvery === 0) context.onProgress?.(measurer.frames, expectedFrames);
        }
      }
    },
  });
  if (result.exitCode !== 0) {
    throw new CorruptMediaError('The video cannot be decoded; it may be truncated or damaged.', {
      cause: new Error(result.stderrTail),
    });
  }
  const frameCount = measurer.frames;
  // A file cut short decodes without an error from ffmpeg but ends before the frames its index lists.
  if (frameCount === 0 || filled !== 0 || frameCount < expectedFrames * 0.98 - 1) {
    throw new CorruptMediaError(
      `The video ended after ${frameCount} of its ${expectedFrames} frames; it may be truncated or damaged.`,
    );
  }
  const transitions = findTransitions(measurer.features(), boundarySettings(resolved, probe.frameRate));
  if (transitions.length + 1 > resolved.maxShots) {
    throw new MediaTooLargeError(
      `The video has ${transitions.length + 1} shots; the limit is ${resolved.maxShots} per clip.`,
    );
  }
  return {
    frameRate: probe.frameRate,
    frameCount,
    durationSeconds: frameCount / probe.frameRate,
    width: probe.width,
    height: probe.height,
    shots: shotsFromTransitions(transitions, frameCount),
  };
}
