// One question of an analysis as one engine request: the messages ShotBench's evaluation builds
// (system prompt; user turn = the media, then the question text), the sampling of the mode, and the
// events of the request gathered into one answer.
import type {
  Engine,
  FinishReason,
  GenerationRequest,
  MediaDescription,
  MediaItem,
  SamplingOptions,
  TokenLogprob,
} from '../runtime/engine/engine-api.js';
import type { AnalysisQuestion } from '../shot/analysis/analysis-question.js';

/** Top alternatives asked for at each reasoning token: the engine's (and OpenAI's) maximum. */
export const ANSWER_TOP_LOGPROBS = 20;

export interface QuestionAnswer {
  text: string;
  finishReason: FinishReason | undefined;
  /** Constrained choice: the probability of every option letter. */
  choiceProbabilities: Record<string, number> | undefined;
  /** Reasoning: every generated token with its top alternatives. */
  tokens: TokenLogprob[];
  media: MediaDescription[];
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

const GREEDY = { temperature: 0, topP: 1, topK: 0, minP: 0, presencePenalty: 0, frequencyPenalty: 0, n: 1 } as const;

/** fast: one constrained token among the option letters; the probabilities come with `finish`. */
export function choiceSampling(question: AnalysisQuestion): SamplingOptions {
  return { ...GREEDY, repetitionPenalty: 1, maxTokens: 1, choices: [...question.letters] };
}

/**
 * reasoning: greedy generation as the official evaluation ran it (transformers' generate applies the
 * checkpoint's generation_config.json, hence its repetition penalty), with logprobs so the answer
 * letter's distribution can be read.
 */
export function reasoningSampling(maxTokens: number, repetitionPenalty: number): SamplingOptions {
  return { ...GREEDY, repetitionPenalty, maxTokens, logprobs: ANSWER_TOP_LOGPROBS };
}

export function questionRequest(
  question: AnalysisQuestion,
  media: MediaItem,
  sampling: SamplingOptions,
  context: { requestId: string; cacheSalt: string | undefined; signal: AbortSignal },
): GenerationRequest {
  return {
    requestId: `${context.requestId}:${question.category.replaceAll(' ', '-')}`,
    messages: [
      { role: 'system', content: question.systemPrompt },
      { role: 'user', content: [media, { type: 'text', text: question.userText }] },
    ],
    sampling,
    ...(context.cacheSalt === undefined ? {} : { cacheSalt: context.cacheSalt }),
    signal: context.signal,
  };
}

/** Runs one request to its end and gathers its events (these requests have n = 1); rejects when it was aborted. */
export async function askEngine(engine: Engine, request: GenerationRequest): Promise<QuestionAnswer> {
  const answer: QuestionAnswer = {
    text: '',
    finishReason: undefined,
    choiceProbabilities: undefined,
    tokens: [],
    media: [],
    promptTokens: 0,
    completionTokens: 0,
    cachedTokens: 0,
  };
  for await (const event of engine.generate(request)) {
    switch (event.type) {
      case 'prompt':
        answer.media = event.media;
        break;
      case 'delta':
        answer.text += event.text;
        if (event.logprobs !== undefined) answer.tokens.push(...event.logprobs);
        break;
      case 'finish':
        answer.finishReason = event.reason;
        answer.choiceProbabilities = event.choiceProbabilities;
        break;
      case 'usage':
        answer.promptTokens = event.promptTokens;
        answer.completionTokens = event.completionTokens;
        answer.cachedTokens = event.cachedTokens;
        break;
    }
  }
  // An aborted request ends normally with finish reason 'abort': its partial answer means nothing.
  if (answer.finishReason === 'abort') throw request.signal?.reason ?? new Error('the engine aborted the request');
  return answer;
}
