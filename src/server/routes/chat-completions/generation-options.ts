// The checks a JSON schema cannot express, and the mapping of request fields to the engine's
// SamplingOptions. Unset fields take the model's generation_config.json defaults, then vLLM's.
import type {
  Engine,
  MediaOptions,
  SamplingOptions,
  ToolCallFormat,
  ToolDefinition,
} from '../../../runtime/engine/engine-api.js';
import { describeChoice, planTools } from './tool-fields.js';
import { ApiError } from '../../errors.js';
import { resolveServedModel } from '../../served-model.js';
import type { ChatCompletionRequest } from './schema.js';
import { outputConstraint } from './structured-output-fields.js';

export interface ChatRequestPlan {
  /** The served name the response reports (the alias the request used, else the first). */
  modelName: string;
  sampling: SamplingOptions;
  stream: boolean;
  includeUsage: boolean;
  /** vLLM's stream_options.continuous_usage_stats: usage so far in every chunk. */
  continuousUsage: boolean;
  mediaOptions: MediaOptions;
  cacheSalt: string | undefined;
  /** Functions offered to the model (absent with tool_choice none). */
  tools: ToolDefinition[] | undefined;
  /** The model's tool-call format when tools were offered: the answer's calls are parsed out with it. */
  toolCalls: ToolCallFormat | undefined;
}

function invalidField(param: string, message: string): ApiError {
  return new ApiError('invalid_request', { message, param });
}

function checkConsistency(body: ChatCompletionRequest): void {
  if (body.top_logprobs !== undefined && body.top_logprobs > 0 && body.logprobs !== true) {
    throw invalidField('top_logprobs', "'top_logprobs' requires 'logprobs' to be true.");
  }
  if (body.stream_options !== undefined && body.stream !== true) {
    throw invalidField('stream_options', "'stream_options' is only allowed when 'stream' is true.");
  }
  const pixels = body.mm_processor_kwargs;
  if (pixels?.min_pixels !== undefined && pixels.max_pixels !== undefined && pixels.min_pixels > pixels.max_pixels) {
    throw invalidField(
      'mm_processor_kwargs.min_pixels',
      "'mm_processor_kwargs.min_pixels' must not exceed 'max_pixels'.",
    );
  }
}

function logitBias(bias: Record<string, unknown> | undefined): Record<number, number> | undefined {
  if (bias === undefined) return undefined;
  const result: Record<number, number> = {};
  for (const [key, value] of Object.entries(bias)) {
    if (!/^\d{1,9}$/.test(key))
      throw invalidField('logit_bias', `Invalid 'logit_bias' key '${key.slice(0, 40)}': keys are token ids.`);
    result[Number(key)] = value as number;
  }
  return result;
}

function stopStrings(stop: string | string[] | undefined): string[] | undefined {
  if (stop === undefined) return undefined;
  const list = (typeof stop === 'string' ? [stop] : stop).filter((text) => text !== '');
  return list.length === 0 ? undefined : list;
}

export function planChatRequest(
  body: ChatCompletionRequest,
  engine: Pick<Engine, 'model' | 'toolCallFormat'>,
  servedModelNames: readonly string[],
): ChatRequestPlan {
  const modelName = resolveServedModel(body.model, servedModelNames);
  checkConsistency(body);
  const defaults = engine.model.generationDefaults;
  const sampling: SamplingOptions = {
    temperature: body.temperature ?? defaults.temperature ?? 1,
    topP: body.top_p ?? defaults.topP ?? 1,
    topK: body.top_k ?? defaults.topK ?? 0,
    minP: body.min_p ?? 0,
    repetitionPenalty: body.repetition_penalty ?? defaults.repetitionPenalty ?? 1,
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    n: body.n ?? 1,
  };
  // Without max_tokens (and no model default) the engine generates up to the end of the context, as vLLM does.
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? defaults.maxTokens;
  if (maxTokens !== undefined) sampling.maxTokens = maxTokens;
  if (body.seed !== undefined) sampling.seed = body.seed;
  const bias = logitBias(body.logit_bias as Record<string, unknown> | undefined);
  if (bias !== undefined) sampling.logitBias = bias;
  const stop = stopStrings(body.stop);
  if (stop !== undefined) sampling.stop = stop;
  if (body.stop_token_ids !== undefined && body.stop_token_ids.length > 0) sampling.stopTokenIds = body.stop_token_ids;
  if (body.ignore_eos === true) sampling.ignoreEos = true;
  if (body.logprobs === true) sampling.logprobs = body.top_logprobs ?? 0;
  const constraint = outputConstraint(body as Record<string, unknown>);
  if (constraint.choices !== undefined) sampling.choices = constraint.choices;
  if (constraint.structuredOutput !== undefined) sampling.structuredOutput = constraint.structuredOutput;
  const tools = planTools(body, engine.toolCallFormat);
  if (tools.grammar !== undefined) {
    if (constraint.choices !== undefined || constraint.structuredOutput !== undefined)
      throw invalidField(
        'tool_choice',
        `tool_choice '${describeChoice(body)}' cannot be combined with another output constraint.`,
      );
    sampling.structuredOutput = tools.grammar;
  }

  const kwargs = body.mm_processor_kwargs ?? {};
  const mediaOptions: MediaOptions = {};
  if (kwargs.min_pixels !== undefined) mediaOptions.minPixels = kwargs.min_pixels;
  if (kwargs.max_pixels !== undefined) mediaOptions.maxPixels = kwargs.max_pixels;
  if (kwargs.fps !== undefined) mediaOptions.fps = kwargs.fps;
  return {
    modelName,
    sampling,
    stream: body.stream === true,
    includeUsage: body.stream === true && body.stream_options?.include_usage === true,
    continuousUsage: body.stream === true && body.stream_options?.continuous_usage_stats === true,
    mediaOptions,
    cacheSalt: body.cache_salt,
    tools: tools.tools,
    toolCalls: tools.tools === undefined ? undefined : engine.toolCallFormat,
  };
}
