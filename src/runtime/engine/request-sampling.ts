// A request's sampling options -> the sampler's parameters and the constrained-choice trie,
// with the engine's limits applied (context length, default max_tokens, vocabulary).
import { ChoiceTrie } from '../sampling/choice-constraint.js';
import { createSamplingParams, type SamplingParams } from '../sampling/sampling-params.js';
import type { ChatTokenizer } from '../tokenizer/chat-tokenizer.js';
import type { GenerationRequest } from './engine-api.js';
import { contextLengthMessage, EngineError } from './engine-errors.js';
import { promptByteLimit, type EngineLimits } from './engine-limits.js';

export function samplingParamsOf(
  request: GenerationRequest,
  promptLength: number,
  limits: Pick<EngineLimits, 'maxModelLength' | 'defaultMaxTokens'>,
  vocabularySize: number,
): SamplingParams {
  const { maxModelLength } = limits;
  const sampling = request.sampling;
  // KV memory is reserved for prompt + max_tokens at admission, so an absent max_tokens gets
  // a bounded default rather than the whole context (which would serialise such requests).
  const maxTokens = sampling.maxTokens ?? Math.min(limits.defaultMaxTokens, maxModelLength - promptLength);
  if (promptLength + maxTokens > maxModelLength || maxTokens < 1) {
    throw new EngineError(
      'context_length_exceeded',
      contextLengthMessage(maxModelLength, promptLength, sampling.maxTokens),
      { param: 'messages' },
    );
  }
  return createSamplingParams(
    {
      temperature: sampling.temperature,
      topP: sampling.topP,
      topK: sampling.topK,
      minP: sampling.minP,
      ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
      repetitionPenalty: sampling.repetitionPenalty,
      presencePenalty: sampling.presencePenalty,
      frequencyPenalty: sampling.frequencyPenalty,
      ...(sampling.logitBias === undefined ? {} : { logitBias: sampling.logitBias }),
      maxTokens,
      stop: sampling.stop ?? [],
      stopTokenIds: sampling.stopTokenIds ?? [],
      n: sampling.n,
      logprobs: sampling.logprobs !== undefined,
      topLogprobs: sampling.logprobs ?? 0,
    },
    { vocabularySize },
  );
}

export interface ChoiceLimits {
  trie: ChoiceTrie;
  strings: string[];
  /** Token ids of the choices when every choice is one distinct token (scored directly). */
  singleTokenIds: number[] | undefined;
}

/**
 * Refuses text that cannot fit the context before paying for its tokenization (issue 17: 3 MB
 * of text took 23 s to tokenize only to be refused afterwards).
 */
export function checkPromptBytes(
  messages: readonly GenerationRequest['messages'][number][],
  limits: Pick<EngineLimits, 'maxModelLength' | 'maxPromptBytes'>,
): void {
  let bytes = 0;
  for (const message of messages) {
    if (typeof message.content === 'string') bytes += Buffer.byteLength(message.content, 'utf8');
    else for (const part of message.content) if (part.type === 'text') bytes += Buffer.byteLength(part.text, 'utf8');
  }
  const limit = promptByteLimit(limits);
  if (bytes > limit)
    throw new EngineError(
      'context_length_exceeded',
      `The messages hold ${bytes} bytes of text; this server tokenizes at most ${limit} bytes per request (its maximum context length is ${limits.maxModelLength} tokens).`,
      { param: 'messages' },
    );
}

/** Choice strings are tokenized one by one: their count and total size are bounded first. */
export function checkChoiceBytes(choices: readonly string[] | undefined, limit: number): void {
  if (choices === undefined) return;
  const bytes = choices.reduce((sum, choice) => sum + Buffer.byteLength(choice, 'utf8'), 0);
  if (bytes > limit)
    throw new EngineError(
      'invalid_request',
      `The structured choice strings hold ${bytes} bytes together; at most ${limit} are allowed.`,
      { param: 'structured_outputs.choice' },
    );
}

export async function choiceLimitsOf(
  request: GenerationRequest,
  tokenizer: ChatTokenizer,
  eosTokenIds: readonly number[],
): Promise<ChoiceLimits | undefined> {
  const strings = request.sampling.choices;
  if (strings === undefined) return undefined;
  if (strings.length === 0 || strings.some((choice) => choice === ''))
    throw new EngineError('invalid_request', 'structured choice needs non-empty strings', {
      param: 'structured_outputs.choice',
    });
  const tokenized: number[][] = [];
  for (const choice of strings) tokenized.push(await tokenizer.encodeTextYielding(choice));
  const single =
    tokenized.every((ids) => ids.length === 1) && new Set(tokenized.map((ids) => ids[0])).size === tokenized.length;
  return {
    trie: new ChoiceTrie(tokenized, { endTokenIds: [...eosTokenIds] }),
    strings,
    singleTokenIds: single ? tokenized.map((ids) => ids[0]!) : undefined,
  };
}
