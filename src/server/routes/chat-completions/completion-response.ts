// Engine events -> OpenAI's non-streaming `chat.completion` object, plus the pieces the stream
// shares with it (log-probability and usage formats, what an aborted choice means).
import type { Static } from '@sinclair/typebox';
import type {
  FinishReason,
  GenerationEvent,
  TokenLogprob as EngineTokenLogprob,
  ToolCallFormat,
} from '../../../runtime/engine/engine-api.js';
import { ApiError } from '../../errors.js';
import type { ChatCompletion, TokenLogprob, Usage } from './schema.js';
import { finishWithCalls, toolCallMessage } from './tool-call-output.js';

export interface CompletionContext {
  id: string;
  created: number;
  model: string;
  systemFingerprint: string;
  n: number;
  logprobs: boolean;
  /** Set when the request offered tools (tool_choice not none): the answer's tool calls are parsed out with it. */
  toolCalls: ToolCallFormat | undefined;
  /** The client's signal: tells a client disconnect from a server-side abort. */
  signal: AbortSignal;
}

export function toOpenAiLogprobs(items: readonly EngineTokenLogprob[]): Static<typeof TokenLogprob>[] {
  return items.map((item) => ({
    token: item.token,
    logprob: item.logprob,
    bytes: item.bytes,
    top_logprobs: item.top.map((alternative) => ({
      token: alternative.token,
      logprob: alternative.logprob,
      bytes: alternative.bytes,
    })),
  }));
}

/** 'abort' never reaches a client as a finish reason: either the client left, or the server is stopping. */
export function checkedFinishReason(reason: FinishReason, signal: AbortSignal): 'stop' | 'length' {
  if (reason !== 'abort') return reason;
  throw signal.aborted ? new ApiError('client_closed_request') : new ApiError('draining');
}

export class UsageCounter {
  promptTokens = 0;
  cachedTokens = 0;
  completionTokens = 0;
  private reported: Usage | undefined;

  observe(event: GenerationEvent): void {
    if (event.type === 'prompt') {
      this.promptTokens = event.promptTokens;
      this.cachedTokens = event.cachedTokens;
    } else if (event.type === 'delta') {
      this.completionTokens += event.tokenIds.length;
    } else if (event.type === 'usage') {
      this.reported = usage(event.promptTokens, event.completionTokens, event.cachedTokens);
    }
  }

  /** The engine's own figures when it sent them, else what the events add up to. */
  total(): Usage {
    return this.reported ?? usage(this.promptTokens, this.completionTokens, this.cachedTokens);
  }
}

function usage(promptTokens: number, completionTokens: number, cachedTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

interface ChoiceState {
  text: string;
  logprobs: Static<typeof TokenLogprob>[];
  finishReason: 'stop' | 'length' | undefined;
}

/** Reads every event and returns the completion; throws ApiError for aborted choices. */
export async function collectCompletion(
  events: AsyncIterable<GenerationEvent>,
  context: CompletionContext,
): Promise<ChatCompletion> {
  const choices: ChoiceState[] = Array.from({ length: context.n }, () => ({
    text: '',
    logprobs: [],
    finishReason: undefined,
  }));
  const counter = new UsageCounter();
  for await (const event of events) {
    counter.observe(event);
    if (event.type === 'delta' || event.type === 'finish') {
      const choice = choices[event.choice];
      if (choice === undefined) throw new Error(`engine sent choice ${event.choice} of ${context.n}`);
      if (event.type === 'delta') {
        choice.text += event.text;
        if (event.logprobs !== undefined) choice.logprobs.push(...toOpenAiLogprobs(event.logprobs));
      } else {
        choice.finishReason = checkedFinishReason(event.reason, context.signal);
      }
    }
  }
  if (context.signal.aborted) throw new ApiError('client_closed_request');
  return {
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    choices: choices.map((choice, index) => {
      const message: ChatCompletion['choices'][number]['message'] =
        context.toolCalls !== undefined
          ? toolCallMessage(choice.text, context.toolCalls.parser())
          : { role: 'assistant', content: choice.text, refusal: null };
      return {
        index,
        message,
        logprobs: context.logprobs ? { content: choice.logprobs, refusal: null } : null,
        // An engine that ends a choice without saying why ran out of tokens.
        finish_reason: finishWithCalls(choice.finishReason ?? 'length', message.tool_calls?.length ?? 0),
      };
    }),
    system_fingerprint: context.systemFingerprint,
    usage: counter.total(),
  };
}
