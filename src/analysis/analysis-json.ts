// The analysis document: the shot-analysis service's domain objects (analysis-results.ts) as the
// documented snake_case JSON that POST /analyze-shot returns (openapi.yaml) and `shotvl analyze`
// writes to its results file (README, "shotvl analyze"). One mapper for both, so the two cannot
// drift: each caller adds only its envelope (the route: id, object, created, model, timings; the
// CLI: model and its own timings). Dimensions are keyed by their JSON names, media fields the
// engine did not report are null, usage reads as OpenAI's. Key order is the documented order.
// Type aliases, not interfaces, so a document is a Record<string, unknown> (the results writer's type).
import type { AnalysisMode } from '../shot/analysis/analysis-question.js';
import type { ShotMediaKind } from '../shot/analysis/analysis-dimensions.js';
import { dimensionKey } from '../shot/analysis/dimension-keys.js';
import type { AnswerRule } from '../shot/answer-extraction.js';
import type { ShotCategory } from '../shot/dimensions.js';
import type {
  AnalysisUsage,
  ClipTiming,
  DimensionAnalyses,
  DimensionAnalysis,
  ProbabilitySource,
  SegmentedAnalysis,
  SegmentedShot,
  ShotAnalysis,
  ShotMediaSummary,
  ShotOutline,
} from './analysis-results.js';

export type ProbabilitySourceJson = 'answer_token' | 'constrained_choice';

export type DimensionJson = {
  label: string;
  confidence: number;
  distribution: Record<string, number>;
  letter: string;
  reasoning?: string;
  answer?: { letter: string | null; rule: AnswerRule | null; text: string; finish_reason: string | null };
  probability_source?: ProbabilitySourceJson;
};

/** Keyed by dimensionKey: one entry per dimension asked, in the order asked. */
export type DimensionsJson = Record<string, DimensionJson>;

export type MediaJson = {
  kind: ShotMediaKind;
  width: number | null;
  height: number | null;
  frames: number | null;
  duration_seconds: number | null;
  tokens: number | null;
};

export type UsageJson = {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
};

/** A shot analysis, without the envelope (`shot.analysis` over HTTP, one results-file line). */
export type ShotAnalysisJson = {
  mode: AnalysisMode;
  media: MediaJson;
  dimensions: DimensionsJson;
  prompt_fragment: string;
  enriched_prompt?: string;
  usage: UsageJson;
};

export type ClipJson = {
  frame_rate: number;
  frames: number;
  duration_seconds: number;
  width: number;
  height: number;
  timecode_rate: number;
  drop_frame: boolean;
};

export type ShotOutlineJson = {
  index: number;
  start: number;
  end: number;
  start_frame: number;
  end_frame: number;
  start_timecode: string;
  end_timecode: string;
  frames: number;
  transition_in: ShotOutline['transitionIn'];
  analysed_frames: { start: number; end: number };
};

export type SegmentedShotJson = ShotOutlineJson & {
  analysed_as: SegmentedShot['analysedAs'];
  thumbnail?: string;
  media: MediaJson;
  dimensions: DimensionsJson;
  prompt_fragment: string;
  usage: UsageJson;
};

/** A segmented clip, without the envelope (`shot.segmentation`). */
export type SegmentationJson = {
  mode: AnalysisMode;
  frame_rate: number;
  duration_seconds: number;
  clip: ClipJson;
  shots: SegmentedShotJson[];
  usage: UsageJson;
};

const PROBABILITY_SOURCES: Readonly<Record<ProbabilitySource, ProbabilitySourceJson>> = {
  'answer-token': 'answer_token',
  'constrained-choice': 'constrained_choice',
};

function dimensionJson(dimension: DimensionAnalysis): DimensionJson {
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
          probability_source: PROBABILITY_SOURCES[reasoning.probabilitySource],
        }),
  };
}

export function dimensionsJson(dimensions: DimensionAnalyses): DimensionsJson {
  const json: DimensionsJson = {};
  for (const [category, dimension] of Object.entries(dimensions) as [ShotCategory, DimensionAnalysis][])
    json[dimensionKey(category)] = dimensionJson(dimension);
  return json;
}

export function mediaJson(media: ShotMediaSummary): MediaJson {
  return {
    kind: media.kind,
    width: media.width ?? null,
    height: media.height ?? null,
    frames: media.frames ?? null,
    duration_seconds: media.durationSeconds ?? null,
    tokens: media.tokens ?? null,
  };
}

export function usageJson(usage: AnalysisUsage): UsageJson {
  return {
    requests: usage.requests,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

export function shotAnalysisJson(analysis: ShotAnalysis): ShotAnalysisJson {
  return {
    mode: analysis.mode,
    media: mediaJson(analysis.media),
    dimensions: dimensionsJson(analysis.dimensions),
    prompt_fragment: analysis.promptFragment,
    ...(analysis.enrichedPrompt === undefined ? {} : { enriched_prompt: analysis.enrichedPrompt }),
    usage: usageJson(analysis.usage),
  };
}

export function clipJson(clip: ClipTiming): ClipJson {
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

export function shotOutlineJson(shot: ShotOutline): ShotOutlineJson {
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
  };
}

export function segmentedShotJson(shot: SegmentedShot): SegmentedShotJson {
  return {
    ...shotOutlineJson(shot),
    analysed_as: shot.analysedAs,
    ...(shot.thumbnail === undefined ? {} : { thumbnail: shot.thumbnail }),
    media: mediaJson(shot.media),
    dimensions: dimensionsJson(shot.dimensions),
    prompt_fragment: shot.promptFragment,
    usage: usageJson(shot.usage),
  };
}

/** The mode is the request's: a clip whose shots were all analysed still reads as asked. */
export function segmentationJson(analysis: SegmentedAnalysis, mode: AnalysisMode): SegmentationJson {
  return {
    mode,
    frame_rate: analysis.clip.frameRate,
    duration_seconds: analysis.clip.durationSeconds,
    clip: clipJson(analysis.clip),
    shots: analysis.shots.map(segmentedShotJson),
    usage: usageJson(analysis.usage),
  };
}
