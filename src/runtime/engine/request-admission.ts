// A prepared request -> what the engine runs: the request's record (its prompt's block hashes, KV
// capacity, counters) and one sequence per choice (sampler, text output, stop conditions), with the
// specs the scheduler queues them by.
import { ChoiceConstraint } from '../sampling/choice-constraint.js';
import { Sampler } from '../sampling/sampler.js';
import type { SamplingParams } from '../sampling/sampling-params.js';
import type { GrammarService } from '../structured-output/grammar-service.js';
import { compileRequestGrammar, startGrammarConstraint } from '../structured-output/request-grammar.js';
import type { ModelConfig } from '../../model-format/model-config.js';
import type { EngineLimits } from './engine-limits.js';
import type { ChatTokenizer } from '../tokenizer/chat-tokenizer.js';
import { ActiveSequence } from './active-sequence.js';
import type { GenerationEvent, GenerationRequest } from './engine-api.js';
import type { EventChannel } from './event-channel.js';
import { blockHashes } from './prefix-cache.js';
import { prefixGroupOf } from './prefix-groups.js';
import {
  mediaHashAt,
  preparePrompt,
  type PreparedPrompt,
  type PromptPreparationContext,
} from './prompt-preparation.js';
import type { ActiveRequest } from './request-registry.js';
import { choiceLimitsOf, samplingParamsOf, type ChoiceLimits } from './request-sampling.js';
import type { SequenceSpec } from './scheduler.js';

export interface PreparedRequest {
  prompt: PreparedPrompt;
  params: SamplingParams;
  choices: ChoiceLimits | undefined;
  /** The compiled grammar's key, when the request asks for one. */
  grammarKey: string | undefined;
}

/** Media encoded, prompt laid out, sampling checked against the limits, grammar compiled. */
export async function prepareRequest(
  request: GenerationRequest,
  context: PromptPreparationContext,
  limits: Pick<EngineLimits, 'maxModelLength' | 'defaultMaxTokens'>,
  config: ModelConfig,
  grammars: GrammarService | undefined,
): Promise<PreparedRequest> {
  const eosTokenIds = config.tokens.eosTokenIds;
  // The grammar compiles in its worker while the prompt is prepared.
  const compiling = compileRequestGrammar(grammars, request.sampling);
  compiling.catch(() => undefined);
  request.signal?.throwIfAborted();
  let params: SamplingParams | undefined;
  const promptContext = request.tools === undefined ? context : { ...context, tools: request.tools };
  const prompt = await preparePrompt(request.messages, promptContext, (promptLength) => {
    params = samplingParamsOf(request, promptLength, limits, config.text.vocabSize);
    return { kvCapacity: promptLength + params.maxTokens! };
  });
  try {
    request.signal?.throwIfAborted();
    const grammarKey = await compiling;
    request.signal?.throwIfAborted();
    const choices = await choiceLimitsOf(request, context.tokenizer, eosTokenIds);
    return { prompt, params: params!, choices, grammarKey };
  } catch (error) {
    prompt.releaseMedia();
    throw error;
  }
}

export interface AdmissionInput {
  request: GenerationRequest;
  prompt: PreparedPrompt;
  params: SamplingParams;
  choices: ChoiceLimits | undefined;
  channel: EventChannel<GenerationEvent>;
  arrivedAt: number;
  tokenizer: ChatTokenizer;
  eosTokenIds: readonly number[];
  /** Hands out request and sequence ids. */
  nextId: () => number;
  onEvent: (owner: ActiveRequest, event: GenerationEvent) => void;
  /** The request's grammar compiled under this key (one matcher per sequence). */
  grammarKey: string | undefined;
  grammars: GrammarService | undefined;
}

export function admitRequest(input: AdmissionInput): { owner: ActiveRequest; specs: SequenceSpec[] } {
  const { request, prompt, params, tokenizer } = input;
  const maxNewTokens = params.maxTokens!;
  const hashes = blockHashes({
    tokenIds: prompt.tokenIds,
    mediaHashAt: mediaHashAt(prompt),
    cacheSalt: request.cacheSalt ?? '',
  });
  const owner: ActiveRequest = {
    id: input.nextId(),
    request,
    kvCapacity: prompt.tokenIds.length + maxNewTokens,
    channel: input.channel,
    prompt,
    hashes,
    sequences: [],
    promptSent: false,
    unfinished: params.n,
    cachedTokens: 0,
    emittedTokens: 0,
    arrivedAt: input.arrivedAt,
    lastTokenAt: undefined,
  };
  const group = prefixGroupOf(prompt, hashes);
  const specs: SequenceSpec[] = Array.from({ length: params.n }, () => ({
    id: input.nextId(),
    promptLength: prompt.tokenIds.length,
    maxNewTokens,
    blockHashes: hashes,
    ...group,
  }));
  const constraint = input.choices;
  const stopTokenIds = new Set(
    request.sampling.ignoreEos === true ? params.stopTokenIds : [...params.stopTokenIds, ...input.eosTokenIds],
  );
  for (const [choice, spec] of specs.entries()) {
    const grammar = startGrammarConstraint(input.grammars, request.sampling, input.grammarKey, input.eosTokenIds);
    const sampler = new Sampler(params, {
      promptTokenIds: Array.from(prompt.tokenIds),
      sequenceIndex: choice,
      ...(constraint === undefined ? {} : { constraint: new ChoiceConstraint(constraint.trie) }),
      ...(grammar === undefined ? {} : { constraint: grammar }),
    });
    const limits = {
      maxNewTokens,
      stopTokenIds,
      ...(constraint === undefined ? {} : { choices: constraint }),
      ...(grammar === undefined ? {} : { grammar }),
    };
    const output = tokenizer.createOutputStream({ stop: [...params.stop] });
    owner.sequences.push(
      new ActiveSequence(spec.id, choice, prompt, sampler, output, tokenizer, limits, (event) =>
        input.onEvent(owner, event),
      ),
    );
  }
  return { owner, specs };
}
