// What the shot-analysis service returns: plain TypeScript domain objects, camelCase, keyed by
// ShotCategory. They carry no wire names: analysis-json.ts maps them to the documented snake_case
// JSON that POST /analyze-shot returns and `shotvl analyze` writes, each in its own envelope.
import type { FinishReason } from '../runtime/engine/engine-api.js';
import type { ShotMediaKind } from '../shot/analysis/analysis-dimensions.js';
import type { AnalysisMode } from '../shot/analysis/analysis-question.js';
import type { LabelDistribution } from '../shot/analysis/label-distribution.js';
import type { AnswerRule } from '../shot/answer-extraction.js';
import type { ShotCategory } from '../shot/dimensions.js';
import type { TransitionType } from '../media/shot-detection/boundary-analysis.js';

/** Reasoning mode: what ShotBench's answer rules read from the generated `<answer>` part. */
export interface ReasonedAnswer {
  /** The option letter the reasoning named; null when the rules found none (or "Z", no answer). */
  letter: string | null;
  /** Which rule decided: a letter, an option's text, "Z", or none (null). */
  rule: AnswerRule | null;
  /** What the rules read: the text inside `<answer>...</answer>`, else the whole output (stripped). */
  text: string;
  /** Why the generation stopped; null when the engine reported no finish. */
  finishReason: FinishReason | null;
}

/**
 * Where a reasoning-mode distribution comes from: the alternatives of the token that spelled the
 * answer letter, or a constrained-choice question asked because the reasoning named no letter token.
 */
export type ProbabilitySource = 'answer-token' | 'constrained-choice';

/** Reasoning mode only: the generated reasoning and how its answer was read. */
export interface DimensionReasoning {
  /** The text inside `<think>...</think>` (else the output before `<answer>`), trimmed. */
  text: string;
  answer: ReasonedAnswer;
  probabilitySource: ProbabilitySource;
}

/** One dimension's reading of the shot. */
export interface DimensionAnalysis {
  /** The most likely label (reasoning mode: the parsed answer's), always from the dimension's vocabulary. */
  label: string;
  /** distribution[label]. */
  confidence: number;
  /** Every label of the vocabulary -> probability, summing to 1, in vocabulary order. */
  distribution: LabelDistribution;
  /** The option letter of `label` in the question asked. */
  letter: string;
  reasoning?: DimensionReasoning;
}

/** The dimensions asked, in the order they were asked. */
export type DimensionAnalyses = Partial<Record<ShotCategory, DimensionAnalysis>>;

/** The shot as the engine saw it; a field is undefined when the engine did not report it. */
export interface ShotMediaSummary {
  kind: ShotMediaKind;
  width?: number;
  height?: number;
  /** Frames sampled (videos). */
  frames?: number;
  durationSeconds?: number;
  /** Vision tokens the shot occupies in each prompt. */
  tokens?: number;
}

export interface AnalysisUsage {
  /** Engine requests the analysis made (one per dimension, plus reasoning fallbacks). */
  requests: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens served from the prefix cache. */
  cachedTokens: number;
}

/** The analysis of one shot. */
export interface ShotAnalysis {
  mode: AnalysisMode;
  media: ShotMediaSummary;
  dimensions: DimensionAnalyses;
  /** The confident labels as a text-to-video prompt phrases them ("" when none is confident). */
  promptFragment: string;
  /** The caller's prompt followed by the fragment, when a prompt was given. */
  enrichedPrompt?: string;
  usage: AnalysisUsage;
}

/** A segmented clip's timing; timecodes count `timecodeRate` frames a second. */
export interface ClipTiming {
  frameRate: number;
  frames: number;
  durationSeconds: number;
  width: number;
  height: number;
  timecodeRate: number;
  /** Drop-frame timecode (29.97 and 59.94). */
  dropFrame: boolean;
}

/** Where one detected shot lies in its clip, known before it is analysed. */
export interface ShotOutline {
  index: number;
  /** Seconds from the clip's start; `end` is where the next shot starts. */
  start: number;
  end: number;
  startFrame: number;
  /** Exclusive: the first frame of the next shot. */
  endFrame: number;
  startTimecode: string;
  endTimecode: string;
  frames: number;
  /** How the shot begins: null for the first shot. */
  transitionIn: TransitionType | null;
  /** The frames analysed, [start, end): the shot without the frames of its transitions. */
  analysedFrames: { start: number; end: number };
}

/** One analysed shot of a segmented clip. */
export interface SegmentedShot extends ShotOutline {
  /** still: too short for the video model, analysed from its middle frame (no camera movement). */
  analysedAs: 'video' | 'still';
  /** A JPEG data URL of the middle frame, when thumbnails were asked for. */
  thumbnail?: string;
  media: ShotMediaSummary;
  dimensions: DimensionAnalyses;
  promptFragment: string;
  usage: AnalysisUsage;
}

export interface SegmentedAnalysis {
  clip: ClipTiming;
  shots: SegmentedShot[];
  /** The shots' usage added up. */
  usage: AnalysisUsage;
}
