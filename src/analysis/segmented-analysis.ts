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
import type { ShotSpan } from '../media/shot-detection/boundary-analysis.js';
import type { ShotDetectionOptions } from '../media/shot-detection/shot-detection-options.js';
import { FRAME_FACTOR } from '../media/smart-resize.js';
import type { AnalysisUsage, ClipTiming, SegmentedAnalysis, SegmentedShot, ShotOutline } from './analysis-results.js';
import { analyzeShot, type ShotAnalysisInput } from './shot-analyzer.js';

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
  onShots?: (shots: ShotOutline[], clip: ClipTiming) => void;
  /** One shot is analysed. */
  onShot?: (shot: SegmentedShot) => void;
}

function outline(shot: ShotSpan, list: ShotList): ShotOutline {
  const rate = timecodeRate(list.frameRate);
  const round = (seconds: number) => Math.round(seconds * 1e6) / 1e6;
  return {
    index: shot.index,
    start: round(shot.start / list.frameRate),
    end: round(shot.end / list.frameRate),
    startFrame: shot.start,
    endFrame: shot.end,
    startTimecode: frameToTimecode(shot.start, rate),
    endTimecode: frameToTimecode(shot.end, rate),
    frames: shot.end - shot.start,
    transitionIn: shot.transitionIn?.type ?? null,
    analysedFrames: { start: shot.cleanStart, end: shot.cleanEnd },
  };
}

function addUsage(total: AnalysisUsage, part: AnalysisUsage): void {
  total.requests += part.requests;
  total.promptTokens += part.promptTokens;
  total.completionTokens += part.completionTokens;
  total.totalTokens += part.totalTokens;
  total.cachedTokens += part.cachedTokens;
}

export interface DetectedClip {
  list: ShotList;
  clip: ClipTiming;
  outlines: ShotOutline[];
}

/** Detects the shots of `input.path` (MediaError on bad or oversized media). */
export async function detectClip(
  input: Pick<SegmentedAnalysisInput, 'path' | 'detection' | 'detectionContext' | 'signal'>,
): Promise<DetectedClip> {
  const context = { ...input.detectionContext, signal: input.signal };
  const list = await detectShots(input.path, input.detection, context);
  const rate = timecodeRate(list.frameRate);
  const clip: ClipTiming = {
    frameRate: list.frameRate,
    frames: list.frameCount,
    durationSeconds: Math.round(list.durationSeconds * 1e6) / 1e6,
    width: list.width,
    height: list.height,
    timecodeRate: rate.base,
    dropFrame: rate.dropFrame,
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
  const usage: AnalysisUsage = { requests: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0 };
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
      analysedAs: still ? 'still' : 'video',
      ...(thumbnail === undefined ? {} : { thumbnail }),
      media: analysis.media,
      dimensions: analysis.dimensions,
      promptFragment: analysis.promptFragment,
      usage: analysis.usage,
    };
    addUsage(usage, analysis.usage);
    shots.push(result);
    input.onShot?.(result);
  }
  return { clip, shots, usage };
}
