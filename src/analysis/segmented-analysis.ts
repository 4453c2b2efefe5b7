// An analysis of a clip with cuts: detect its shots (src/media/shot-detection), then analyse each shot
// like POST /analyze-shot analyses one: the shot's own frames (its transitions left out) sampled with
// ShotVL's video rules over that range only, every dimension asked at once so the engine encodes and
// prefills the shot once. A shot too short for the video model (fewer than FRAME_FACTOR frames) is
// analysed as a still, from its middle frame, without camera movement. Shots run one after another:
// each one's questions already fill the engine's batch, and a clip's memory stays one shot's.
import type { Engine, MediaOptions } from '../runtime/engine/engine-api.js';
import { dimensionApplies } from '../shot/analysis/analysis-dimensions.js';
import type { ShotCategory } from '../shot/dimensions.js';
import { frameToTimecode, timecodeRate } from '../shot/export/timecode.js';
import { detectShots, type DetectShotsContext, type ShotList } from '../media/shot-detection/detect-shots.js';
import { encodeVideoFrame } from '../media/shot-detection/frame-still.js';
import type { ShotSpan, TransitionType } from '../media/shot-detection/boundary-analysis.js';
import type { ShotDetectionOptions } from '../media/shot-detection/shot-detection-options.js';
import { FRAME_FACTOR } from '../media/smart-resize.js';
import {
  analyzeShot,
  type AnalysisUsage,
  type DimensionAnalysis,
  type MediaSummary,
  type ShotAnalysisInput,
} from './shot-analyzer.js';

/** Longest side of a shot's thumbnail, in pixels. */
export const THUMBNAIL_MAX_SIDE = 160;

export interface SegmentedAnalysisInput extends Omit<ShotAnalysisInput, 'kind' | 'source' | 'mediaOptions'> {
  /** The clip, a video file on disk. */
  path: string;
  mediaOptions?: MediaOptions;
  detection: ShotDetectionOptions;
  detectionContext?: Omit<DetectShotsContext, 'signal'>;
  /** Add a small JPEG of each shot's middle frame. */
  thumbnails: boolean;
  /** The shots are known (before any is analysed). */
  onShots?: (shots: SegmentedShotOutline[], clip: ClipTiming) => void;
  /** One shot is analysed. */
  onShot?: (shot: SegmentedShot) => void;
}

export interface ClipTiming {
  frame_rate: number;
  frames: number;
  duration_seconds: number;
  width: number;
  height: number;
  /** Timecodes count `timecode_rate` frames a second, drop-frame at 29.97 and 59.94. */
  timecode_rate: number;
  drop_frame: boolean;
}

export interface SegmentedShotOutline {
  index: number;
  /** Seconds from the clip's start; `end` is where the next shot starts. */
  start: number;
  end: number;
  start_frame: number;
  end_frame: number;
  start_timecode: string;
  end_timecode: string;
  frames: number;
  /** How the shot begins: null for the first shot. */
  transition_in: TransitionType | null;
  /** The frames analysed, [start, end): the shot without the frames of its transitions. */
  analysed_frames: { start: number; end: number };
}

export interface SegmentedShot extends SegmentedShotOutline {
  analysed_as: 'video' | 'still';
  thumbnail?: string;
  media: MediaSummary;
  dimensions: Record<string, DimensionAnalysis>;
  prompt_fragment: string;
  usage: AnalysisUsage;
}

export interface SegmentedAnalysis {
  clip: ClipTiming;
  shots: SegmentedShot[];
  usage: AnalysisUsage;
}

function outline(shot: ShotSpan, list: ShotList): SegmentedShotOutline {
  const rate = timecodeRate(list.frameRate);
  const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6;
  return {
    index: shot.index,
    start: round(shot.start / list.frameRate),
    end: round(shot.end / list.frameRate),
    start_frame: shot.start,
    end_frame: shot.end,
    start_timecode: frameToTimecode(shot.start, rate),
    end_timecode: frameToTimecode(shot.end, rate),
    frames: shot.end - shot.start,
    transition_in: shot.transitionIn?.type ?? null,
    analysed_frames: { start: shot.cleanStart, end: shot.cleanEnd },
  };
}

function addUsage(total: AnalysisUsage, part: AnalysisUsage): void {
  total.requests += part.requests;
  total.prompt_tokens += part.prompt_tokens;
  total.completion_tokens += part.completion_tokens;
  total.total_tokens += part.total_tokens;
  total.prompt_tokens_details.cached_tokens += part.prompt_tokens_details.cached_tokens;
}

export interface DetectedClip {
  list: ShotList;
  clip: ClipTiming;
  outlines: SegmentedShotOutline[];
}

/** Detects the shots of `input.path` (MediaError on bad or oversized media). */
export async function detectClip(
  input: Pick<SegmentedAnalysisInput, 'path' | 'detection' | 'detectionContext' | 'signal'>,
): Promise<DetectedClip> {
  const context = { ...input.detectionContext, signal: input.signal };
  const list = await detectShots(input.path, input.detection, context);
  const rate = timecodeRate(list.frameRate);
  const clip: ClipTiming = {
    frame_rate: list.frameRate,
    frames: list.frameCount,
    duration_seconds: Math.round(list.durationSeconds * 1e6) / 1e6,
    width: list.width,
    height: list.height,
    timecode_rate: rate.base,
    drop_frame: rate.dropFrame,
  };
  return { list, clip, outlines: list.shots.map((shot) => outline(shot, list)) };
}

/** Analyses every detected shot in turn; MediaError / EngineError / the abort reason on failure. */
export async function analyzeSegments(
  engine: Engine,
  detected: DetectedClip,
  input: SegmentedAnalysisInput,
): Promise<SegmentedAnalysis> {
  const { list, clip, outlines } = detected;
  input.onShots?.(outlines, clip);
  const frameContext = { ...input.detectionContext, signal: input.signal };
  const usage: AnalysisUsage = {
    requests: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    prompt_tokens_details: { cached_tokens: 0 },
  };
  const shots: SegmentedShot[] = [];
  for (const [position, shot] of list.shots.entries()) {
    const base = outlines[position]!;
    const frames = shot.cleanEnd - shot.cleanStart;
    const still = frames < FRAME_FACTOR;
    const middle = Math.floor((shot.cleanStart + shot.cleanEnd - 1) / 2);
    const stillDimensions = (dimensions: readonly ShotCategory[]) =>
      dimensions.filter((category) => dimensionApplies(category, 'image'));
    const common = {
      requestId: `${input.requestId}:shot-${shot.index}`,
      mode: input.mode,
      ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
      ...(input.cacheSalt === undefined ? {} : { cacheSalt: input.cacheSalt }),
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    };
    const analysis = still
      ? await analyzeShot(engine, {
          ...common,
          kind: 'image',
          source: { kind: 'bytes', bytes: await encodeVideoFrame(input.path, middle, { format: 'png' }, frameContext) },
          ...(input.mediaOptions?.maxPixels === undefined
            ? {}
            : { mediaOptions: { maxPixels: input.mediaOptions.maxPixels } }),
          dimensions: stillDimensions(input.dimensions),
        })
      : await analyzeShot(engine, {
          ...common,
          kind: 'video',
          source: { kind: 'file', path: input.path },
          mediaOptions: { ...input.mediaOptions, frameRange: { start: shot.cleanStart, end: shot.cleanEnd } },
          dimensions: input.dimensions,
        });
    const thumbnail = input.thumbnails
      ? `data:image/jpeg;base64,${Buffer.from(
          await encodeVideoFrame(input.path, middle, { format: 'jpeg', maxSide: THUMBNAIL_MAX_SIDE }, frameContext),
        ).toString('base64')}`
      : undefined;
    const result: SegmentedShot = {
      ...base,
      analysed_as: still ? 'still' : 'video',
      ...(thumbnail === undefined ? {} : { thumbnail }),
      media: analysis.media,
      dimensions: analysis.dimensions,
      prompt_fragment: analysis.prompt_fragment,
      usage: analysis.usage,
    };
    addUsage(usage, analysis.usage);
    shots.push(result);
    input.onShot?.(result);
  }
  return { clip, shots, usage };
}
