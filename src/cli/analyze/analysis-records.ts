/**
 * The results-file lines of `shotvl analyze --model`, from the shot-analysis service's domain
 * objects (src/analysis/analysis-results.ts). The file format is documented (README, "shotvl
 * analyze") as the /analyze-shot JSON without the response's id, object and created, so that
 * --model and --endpoint write the same lines; the CLI keeps its own mapper rather than importing
 * the HTTP layer's (tests/cli/analyze/analysis-records.test.ts keeps the two equal).
 */
import type {
  AnalysisUsage,
  ClipTiming,
  DimensionAnalyses,
  DimensionAnalysis,
  SegmentedAnalysis,
  SegmentedShot,
  ShotAnalysis,
  ShotMediaSummary,
} from '../../analysis/analysis-results.js';
import type { AnalysisMode } from '../../shot/analysis/analysis-question.js';
import { dimensionKey } from '../../shot/analysis/dimension-keys.js';
import type { ShotCategory } from '../../shot/dimensions.js';

type Json = Record<string, unknown>;

function dimensionRecord(dimension: DimensionAnalysis): Json {
  const { reasoning } = dimension;
  return {
    label: dimension.label,
    confidence: dimension.confidence,
    distribution: dimension.distribution,
    letter: dimension.letter,
    ...(reasoning === undefined
      ? {}
      : {
          reasoning: reasoning.text,
          answer: {
            letter: reasoning.answer.letter,
            rule: reasoning.answer.rule,
            text: reasoning.answer.text,
            finish_reason: reasoning.answer.finishReason,
          },
          probability_source: reasoning.probabilitySource === 'answer-token' ? 'answer_token' : 'constrained_choice',
        }),
  };
}

function dimensionsRecord(dimensions: DimensionAnalyses): Json {
  return Object.fromEntries(
    (Object.entries(dimensions) as [ShotCategory, DimensionAnalysis][]).map(([category, dimension]) => [
      dimensionKey(category),
      dimensionRecord(dimension),
    ]),
  );
}

function mediaRecord(media: ShotMediaSummary): Json {
  return {
    kind: media.kind,
    width: media.width ?? null,
    height: media.height ?? null,
    frames: media.frames ?? null,
    duration_seconds: media.durationSeconds ?? null,
    tokens: media.tokens ?? null,
  };
}

function usageRecord(usage: AnalysisUsage): Json {
  return {
    requests: usage.requests,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

function clipRecord(clip: ClipTiming): Json {
  return {
    frame_rate: clip.frameRate,
    frames: clip.frames,
    duration_seconds: clip.durationSeconds,
    width: clip.width,
    height: clip.height,
    timecode_rate: clip.timecodeRate,
    drop_frame: clip.dropFrame,
  };
}

/** One shot of a segmented clip: its line is `{"file", "shot": index, ...this}`. */
export function segmentedShotRecord(shot: SegmentedShot): Json {
  return {
    index: shot.index,
    start: shot.start,
    end: shot.end,
    start_frame: shot.startFrame,
    end_frame: shot.endFrame,
    start_timecode: shot.startTimecode,
    end_timecode: shot.endTimecode,
    frames: shot.frames,
    transition_in: shot.transitionIn,
    analysed_frames: { start: shot.analysedFrames.start, end: shot.analysedFrames.end },
    analysed_as: shot.analysedAs,
    ...(shot.thumbnail === undefined ? {} : { thumbnail: shot.thumbnail }),
    media: mediaRecord(shot.media),
    dimensions: dimensionsRecord(shot.dimensions),
    prompt_fragment: shot.promptFragment,
    usage: usageRecord(shot.usage),
  };
}

/** A file analysed as one shot. */
export function shotAnalysisRecord(analysis: ShotAnalysis, model: string, totalMs: number): Json {
  return {
    model,
    mode: analysis.mode,
    media: mediaRecord(analysis.media),
    dimensions: dimensionsRecord(analysis.dimensions),
    prompt_fragment: analysis.promptFragment,
    ...(analysis.enrichedPrompt === undefined ? {} : { enriched_prompt: analysis.enrichedPrompt }),
    usage: usageRecord(analysis.usage),
    timings: { total_ms: totalMs },
  };
}

/** A segmented clip, shots included (run-analyze.ts writes one line per shot, then the clip's). */
export function segmentationRecord(
  analysis: SegmentedAnalysis,
  model: string,
  mode: AnalysisMode,
  totalMs: number,
): Json {
  return {
    object: 'shot.segmentation',
    model,
    mode,
    frame_rate: analysis.clip.frameRate,
    duration_seconds: analysis.clip.durationSeconds,
    clip: clipRecord(analysis.clip),
    shots: analysis.shots.map(segmentedShotRecord),
    usage: usageRecord(analysis.usage),
    timings: { total_ms: totalMs },
  };
}
