// An analysis of one shot: one engine request per dimension, all submitted at once. They share the
// system prompt and the media, which come first in the prompt, so the engine encodes the media once
// (vision cache) and prefills the shared prefix once (its prefix groups); only each question's text
// is prefilled per request. Used by POST /analyze-shot and by `shotvl analyze --model`; the result is
// a domain object (analysis-results.ts) each caller maps to its own output.
import type { Engine, MediaDescription, MediaOptions, MediaItem, MediaSource } from '../runtime/engine/engine-api.js';
import type {
  AnalysisUsage,
  DimensionAnalyses,
  DimensionAnalysis,
  ReasonedAnswer,
  ShotAnalysis,
  ShotMediaSummary,
} from './analysis-results.js';
import { analysisQuestion, type AnalysisMode, type AnalysisQuestion } from '../shot/analysis/analysis-question.js';
import type { ShotMediaKind } from '../shot/analysis/analysis-dimensions.js';
import {
  estimateDimension,
  estimateForLabel,
  estimateFromDistribution,
  labelDistribution,
  type DimensionEstimate,
} from '../shot/analysis/label-distribution.js';
import { enrichPrompt, promptFragment } from '../shot/analysis/prompt-fragment.js';
import { answerLetterProbabilities, parseReasoningOutput } from '../shot/analysis/reasoning-answer.js';
import type { ShotCategory } from '../shot/dimensions.js';
import {
  askEngine,
  choiceSampling,
  questionRequest,
  reasoningSampling,
  type QuestionAnswer,
} from './engine-question.js';

/** The official evaluation's max_new_tokens (ShotBench README): room for the <think> part. */
export const DEFAULT_REASONING_MAX_TOKENS = 1024;

export interface ShotAnalysisInput {
  requestId: string;
  kind: ShotMediaKind;
  source: MediaSource;
  mediaOptions?: MediaOptions;
  dimensions: readonly ShotCategory[];
  mode: AnalysisMode;
  /** Text to enrich with the prompt fragment. */
  prompt?: string;
  /** Reasoning mode: generation limit per question. */
  maxTokens?: number;
  cacheSalt?: string;
  signal?: AbortSignal;
}

interface DimensionOutcome {
  category: ShotCategory;
  result: DimensionAnalysis;
  answers: QuestionAnswer[];
}

function letterOf(question: AnalysisQuestion, label: string): string {
  const entry = Object.entries(question.options).find(([, text]) => text === label);
  if (entry === undefined) throw new RangeError(`'${label}' is not an option of ${question.category}`);
  return entry[0];
}

function fromEstimate(question: AnalysisQuestion, estimate: DimensionEstimate): DimensionAnalysis {
  return {
    label: estimate.label,
    confidence: estimate.confidence,
    distribution: estimate.distribution,
    letter: letterOf(question, estimate.label),
  };
}

function summarizeMedia(kind: ShotMediaKind, description: MediaDescription | undefined): ShotMediaSummary {
  return {
    kind,
    width: description?.width,
    height: description?.height,
    frames: description?.frames,
    durationSeconds: description?.durationSeconds,
    tokens: description?.tokens,
  };
}

function sumUsage(answers: readonly QuestionAnswer[]): AnalysisUsage {
  const prompt = answers.reduce((sum, answer) => sum + answer.promptTokens, 0);
  const completion = answers.reduce((sum, answer) => sum + answer.completionTokens, 0);
  return {
    requests: answers.length,
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: prompt + completion,
    cachedTokens: answers.reduce((sum, answer) => sum + answer.cachedTokens, 0),
  };
}

class ShotAnalyzer {
  private readonly media: MediaItem;

  constructor(
    private readonly engine: Engine,
    private readonly input: ShotAnalysisInput,
    private readonly signal: AbortSignal,
  ) {
    this.media = {
      type: input.kind,
      source: input.source,
      ...(input.mediaOptions === undefined ? {} : { options: input.mediaOptions }),
    };
  }

  private ask(question: AnalysisQuestion, sampling: ReturnType<typeof choiceSampling>): Promise<QuestionAnswer> {
    const context = { requestId: this.input.requestId, cacheSalt: this.input.cacheSalt, signal: this.signal };
    return askEngine(this.engine, questionRequest(question, this.media, sampling, context));
  }

  async fast(category: ShotCategory): Promise<DimensionOutcome> {
    const question = analysisQuestion(category, 'fast');
    const answer = await this.ask(question, choiceSampling(question));
    // An engine without choice probabilities still names its choice: all the mass goes there.
    const probabilities = answer.choiceProbabilities ?? { [answer.text]: 1 };
    return {
      category,
      result: fromEstimate(question, estimateDimension(question.options, probabilities)),
      answers: [answer],
    };
  }

  async reasoning(category: ShotCategory): Promise<DimensionOutcome> {
    const question = analysisQuestion(category, 'reasoning');
    const repetitionPenalty = this.engine.model.generationDefaults.repetitionPenalty ?? 1;
    const answer = await this.ask(
      question,
      reasoningSampling(this.input.maxTokens ?? DEFAULT_REASONING_MAX_TOKENS, repetitionPenalty),
    );
    const parsed = parseReasoningOutput(answer.text, question.options);
    const details: ReasonedAnswer = {
      letter: parsed.letter,
      rule: parsed.extraction.rule,
      text: parsed.extraction.answer,
      finishReason: answer.finishReason ?? null,
    };
    const label = parsed.letter === null ? undefined : question.options[parsed.letter];
    const fromToken =
      parsed.letter === null ? undefined : answerLetterProbabilities(answer.tokens, parsed.letter, question.options);
    if (label !== undefined && fromToken !== undefined) {
      const estimate = estimateForLabel(label, labelDistribution(question.options, fromToken));
      return {
        category,
        result: {
          ...fromEstimate(question, estimate),
          reasoning: { text: parsed.reasoning, answer: details, probabilitySource: 'answer-token' },
        },
        answers: [answer],
      };
    }
    // No letter token to read (an answer given as option text, or none at all): ask the same
    // question by constrained choice for the distribution; the reasoning's own label, if any, stays.
    const fallback = await this.fast(category);
    const distribution = fallback.result.distribution;
    const estimate =
      label === undefined ? estimateFromDistribution(distribution) : estimateForLabel(label, distribution);
    return {
      category,
      result: {
        ...fromEstimate(question, estimate),
        reasoning: { text: parsed.reasoning, answer: details, probabilitySource: 'constrained-choice' },
      },
      answers: [answer, ...fallback.answers],
    };
  }
}

/**
 * Runs the analysis. The first failure aborts the other questions and is rethrown (EngineError,
 * MediaError, or the signal's reason).
 */
export async function analyzeShot(engine: Engine, input: ShotAnalysisInput): Promise<ShotAnalysis> {
  const controller = new AbortController();
  const forwardAbort = (): void => controller.abort(input.signal?.reason);
  if (input.signal?.aborted) throw input.signal.reason;
  input.signal?.addEventListener('abort', forwardAbort, { once: true });
  const analyzer = new ShotAnalyzer(engine, input, controller.signal);
  try {
    const outcomes = await Promise.all(
      input.dimensions.map((category) =>
        (input.mode === 'reasoning' ? analyzer.reasoning(category) : analyzer.fast(category)).catch(
          (error: unknown) => {
            controller.abort(error);
            throw error;
          },
        ),
      ),
    );
    const answers = outcomes.flatMap((outcome) => outcome.answers);
    const dimensions: DimensionAnalyses = {};
    for (const outcome of outcomes) dimensions[outcome.category] = outcome.result;
    const fragment = promptFragment(dimensions);
    return {
      mode: input.mode,
      media: summarizeMedia(input.kind, answers.find((answer) => answer.media.length > 0)?.media[0]),
      dimensions,
      promptFragment: fragment,
      ...(input.prompt === undefined ? {} : { enrichedPrompt: enrichPrompt(input.prompt, fragment) }),
      usage: sumUsage(answers),
    };
  } finally {
    input.signal?.removeEventListener('abort', forwardAbort);
  }
}
