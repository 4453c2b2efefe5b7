// The one place where the shot-analysis service's domain objects (src/analysis/analysis-results.ts)
// become /analyze-shot's documented snake_case JSON (schema.ts, openapi.yaml): dimensions keyed by
// their JSON names, unknown media fields as null, OpenAI-style usage. Key order is the documented
// order, so the bodies read as before the service returned domain objects.
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
} from '../../../analysis/analysis-results.js';
import { dimensionKey } from '../../../shot/analysis/dimension-keys.js';
import type { ShotCategory } from '../../../shot/dimensions.js';
import type { AnalyzeShotResponse, AnalyzeShotSegmentsResponse } from './schema.js';

type DimensionJson = NonNullable<AnalyzeShotResponse['dimensions']['shot_size']>;
type MediaJson = AnalyzeShotResponse['media'];
type UsageJson = AnalyzeShotResponse['usage'];
type ClipJson = AnalyzeShotSegmentsResponse['clip'];
type SegmentedShotJson = AnalyzeShotSegmentsResponse['shots'][number];
type OutlineJson = Omit<
  SegmentedShotJson,
  'analysed_as' | 'thumbnail' | 'media' | 'dimensions' | 'prompt_fragment' | 'usage'
>;
type TimingsJson = AnalyzeShotResponse['timings'];

/** What the route adds around an analysis: the response's identity and its timings. */
export interface ResponseEnvelope {
  id: string;
  created: number;
  model: string;
  timings: TimingsJson;
}

const PROBABILITY_SOURCES: Readonly<Record<ProbabilitySource, 'answer_token' | 'constrained_choice'>> = {
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

export function dimensionsJson(dimensions: DimensionAnalyses): AnalyzeShotResponse['dimensions'] {
  const json: Record<string, DimensionJson> = {};
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

/** POST /analyze-shot's body (`shot.analysis`). */
export function analyzeShotResponse(analysis: ShotAnalysis, envelope: ResponseEnvelope): AnalyzeShotResponse {
  return {
    id: envelope.id,
    object: 'shot.analysis',
    created: envelope.created,
    model: envelope.model,
    mode: analysis.mode,
    media: mediaJson(analysis.media),
    dimensions: dimensionsJson(analysis.dimensions),
    prompt_fragment: analysis.promptFragment,
    ...(analysis.enrichedPrompt === undefined ? {} : { enriched_prompt: analysis.enrichedPrompt }),
    usage: usageJson(analysis.usage),
    timings: envelope.timings,
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

export function shotOutlineJson(shot: ShotOutline): OutlineJson {
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

/** POST /analyze-shot's body with `segment: "auto"` (`shot.segmentation`), also the stream's last event. */
export function segmentationResponse(
  analysis: SegmentedAnalysis,
  mode: AnalyzeShotSegmentsResponse['mode'],
  envelope: ResponseEnvelope,
): AnalyzeShotSegmentsResponse {
  return {
    id: envelope.id,
    object: 'shot.segmentation',
    created: envelope.created,
    model: envelope.model,
    mode,
    frame_rate: analysis.clip.frameRate,
    duration_seconds: analysis.clip.durationSeconds,
    clip: clipJson(analysis.clip),
    shots: analysis.shots.map(segmentedShotJson),
    usage: usageJson(analysis.usage),
    timings: envelope.timings,
  };
}
