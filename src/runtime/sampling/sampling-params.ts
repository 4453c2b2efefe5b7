// Sampling parameters of one request, validated once and frozen. Names are the OpenAI/vLLM ones in
// camelCase; ranges follow vLLM's SamplingParams checks so that a request vLLM accepts is accepted
// here. The model's generation_config.json supplies defaults for omitted fields, as in vLLM.
import { ShotvlError } from '../../util/shotvl-error.js';

export interface SamplingParams {
  /** 0 means greedy (argmax). */
  readonly temperature: number;
  /** Nucleus sampling mass in (0, 1]; 1 disables. */
  readonly topP: number;
  /** Keep the k most likely tokens; 0 disables (vLLM's -1 is accepted and stored as 0). */
  readonly topK: number;
  /** Drop tokens whose probability is below minP times the top probability; 0 disables. */
  readonly minP: number;
  /** Makes sampling reproducible; undefined draws a random seed per request. */
  readonly seed: number | undefined;
  /** Hugging Face/vLLM multiplicative penalty over prompt and generated tokens; 1 disables. */
  readonly repetitionPenalty: number;
  /** OpenAI additive penalty on every generated token that already occurred once. */
  readonly presencePenalty: number;
  /** OpenAI additive penalty scaled by how often a generated token already occurred. */
  readonly frequencyPenalty: number;
  /** Token id -> bias added to its logit, clamped to [-100, 100]. */
  readonly logitBias: ReadonlyMap<number, number>;
  /** Generated-token limit; undefined means up to the context length. */
  readonly maxTokens: number | undefined;
  readonly stop: readonly string[];
  readonly stopTokenIds: readonly number[];
  /** Completions to generate for the prompt. */
  readonly n: number;
  readonly logprobs: boolean;
  /** Alternatives reported per position with `logprobs` (0..20). */
  readonly topLogprobs: number;
}

export interface SamplingParamsInput {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  seed?: number;
  repetitionPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** OpenAI sends `{"50256": -100}`: keys are token ids as strings. */
  logitBias?: Readonly<Record<string, number>> | ReadonlyMap<number, number>;
  maxTokens?: number;
  stop?: string | readonly string[];
  stopTokenIds?: readonly number[];
  n?: number;
  logprobs?: boolean;
  topLogprobs?: number;
}

export interface SamplingParamsContext {
  /** Request-independent defaults, e.g. from generation_config.json. */
  defaults?: SamplingParamsInput;
  /** Logits width; token ids in logit_bias and stop_token_ids must be below it. */
  vocabularySize?: number;
}

/** Limits on the cost one request can impose. */
export const MAX_TOP_LOGPROBS = 20;
export const MAX_STOP_STRINGS = 64;
export const MAX_STOP_STRING_LENGTH = 1_000;
export const MAX_COMPLETIONS = 128;
export const MAX_LOGIT_BIAS_ENTRIES = 1_024;
export const LOGIT_BIAS_LIMIT = 100;

/** A parameter outside its range; `parameter` is the OpenAI (snake_case) name for error bodies. */
export class SamplingParamsError extends ShotvlError<'invalid_sampling_params'> {
  /** The request field at fault (OpenAI's name for it). */
  readonly parameter: string;

  constructor(message: string, options: { parameter: string; cause?: unknown }) {
    super('invalid_sampling_params', message, options);
    this.parameter = options.parameter;
  }
}

function check(condition: boolean, parameter: string, message: string): void {
  if (!condition) throw new SamplingParamsError(`${parameter} ${message}`, { parameter });
}

function checkTokenId(id: number, parameter: string, vocabularySize: number | undefined): void {
  check(Number.isInteger(id) && id >= 0, parameter, `has an invalid token id ${id}`);
  if (vocabularySize !== undefined)
    check(id < vocabularySize, parameter, `token id ${id} is outside the vocabulary (${vocabularySize})`);
}

function parseLogitBias(
  input: SamplingParamsInput['logitBias'],
  vocabularySize: number | undefined,
): Map<number, number> {
  const bias = new Map<number, number>();
  if (input === undefined) return bias;
  const entries: Array<[string | number, number]> = input instanceof Map ? [...input.entries()] : Object.entries(input);
  check(entries.length <= MAX_LOGIT_BIAS_ENTRIES, 'logit_bias', `may have at most ${MAX_LOGIT_BIAS_ENTRIES} entries`);
  for (const [key, value] of entries) {
    const id = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : Number.NaN;
    checkTokenId(id, 'logit_bias', vocabularySize);
    check(
      typeof value === 'number' && Number.isFinite(value),
      'logit_bias',
      `value for token ${key} must be a finite number`,
    );
    // OpenAI documents the range [-100, 100]; vLLM clamps rather than rejects.
    bias.set(id, Math.min(LOGIT_BIAS_LIMIT, Math.max(-LOGIT_BIAS_LIMIT, value)));
  }
  return bias;
}

function parseStop(input: SamplingParamsInput['stop']): string[] {
  if (input === undefined) return [];
  const stops = typeof input === 'string' ? [input] : [...input];
  check(stops.length <= MAX_STOP_STRINGS, 'stop', `may list at most ${MAX_STOP_STRINGS} strings`);
  for (const stop of stops) {
    check(typeof stop === 'string' && stop.length > 0, 'stop', 'strings must be non-empty');
    check(stop.length <= MAX_STOP_STRING_LENGTH, 'stop', `strings may be at most ${MAX_STOP_STRING_LENGTH} characters`);
  }
  return [...new Set(stops)];
}

/** Validates `input` over `context.defaults` and returns frozen parameters. */
export function createSamplingParams(
  input: SamplingParamsInput = {},
  context: SamplingParamsContext = {},
): SamplingParams {
  const merged: SamplingParamsInput = { ...context.defaults };
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  const { vocabularySize } = context;
  const temperature = merged.temperature ?? 1;
  check(Number.isFinite(temperature) && temperature >= 0, 'temperature', 'must be a non-negative number');
  const topP = merged.topP ?? 1;
  check(Number.isFinite(topP) && topP > 0 && topP <= 1, 'top_p', 'must be in (0, 1]');
  const topK = merged.topK ?? 0;
  check(Number.isInteger(topK) && topK >= -1, 'top_k', 'must be -1, 0 (disabled) or a positive integer');
  const minP = merged.minP ?? 0;
  check(Number.isFinite(minP) && minP >= 0 && minP <= 1, 'min_p', 'must be in [0, 1]');
  const seed = merged.seed;
  check(seed === undefined || Number.isSafeInteger(seed), 'seed', 'must be an integer');
  const repetitionPenalty = merged.repetitionPenalty ?? 1;
  check(
    Number.isFinite(repetitionPenalty) && repetitionPenalty > 0 && repetitionPenalty <= 2,
    'repetition_penalty',
    'must be in (0, 2]',
  );
  const presencePenalty = merged.presencePenalty ?? 0;
  check(Number.isFinite(presencePenalty) && Math.abs(presencePenalty) <= 2, 'presence_penalty', 'must be in [-2, 2]');
  const frequencyPenalty = merged.frequencyPenalty ?? 0;
  check(
    Number.isFinite(frequencyPenalty) && Math.abs(frequencyPenalty) <= 2,
    'frequency_penalty',
    'must be in [-2, 2]',
  );
  const maxTokens = merged.maxTokens;
  check(
    maxTokens === undefined || (Number.isInteger(maxTokens) && maxTokens >= 1),
    'max_tokens',
    'must be a positive integer',
  );
  const n = merged.n ?? 1;
  check(Number.isInteger(n) && n >= 1 && n <= MAX_COMPLETIONS, 'n', `must be an integer in [1, ${MAX_COMPLETIONS}]`);
  const logprobs = merged.logprobs ?? false;
  const topLogprobs = merged.topLogprobs ?? 0;
  check(
    Number.isInteger(topLogprobs) && topLogprobs >= 0 && topLogprobs <= MAX_TOP_LOGPROBS,
    'top_logprobs',
    `must be an integer in [0, ${MAX_TOP_LOGPROBS}]`,
  );
  // OpenAI: "logprobs must be set to true if this parameter is used".
  check(topLogprobs === 0 || logprobs, 'top_logprobs', 'requires logprobs to be true');
  const stopTokenIds = [...(merged.stopTokenIds ?? [])];
  for (const id of stopTokenIds) checkTokenId(id, 'stop_token_ids', vocabularySize);

  return Object.freeze({
    temperature,
    topP,
    topK: topK === -1 ? 0 : topK,
    minP,
    seed,
    repetitionPenalty,
    presencePenalty,
    frequencyPenalty,
    logitBias: parseLogitBias(merged.logitBias, vocabularySize),
    maxTokens,
    stop: Object.freeze(parseStop(merged.stop)),
    stopTokenIds: Object.freeze(stopTokenIds),
    n,
    logprobs,
    topLogprobs,
  });
}

/** Whether sampling `tokenId` ends the sequence: an end-of-sequence id or a requested stop id. */
export function isStopToken(params: SamplingParams, tokenId: number, eosTokenIds: readonly number[]): boolean {
  return eosTokenIds.includes(tokenId) || params.stopTokenIds.includes(tokenId);
}
