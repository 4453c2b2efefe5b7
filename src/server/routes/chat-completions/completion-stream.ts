// Engine events -> OpenAI's `chat.completion.chunk` server-sent events. Order, as OpenAI and vLLM
// send it: a role chunk per choice, content chunks, a finish chunk per choice (empty delta), the
// usage chunk (empty choices) when stream_options.include_usage, then `data: [DONE]`. A failure
// after the first byte cannot change the status any more, so it is sent as `data: {"error":...}`.
import type { Static } from '@sinclair/typebox';
import type { GenerationEvent } from '../../../runtime/engine/engine-api.js';
import { toErrorReply } from '../../errors.js';
import { SSE_DONE, sseData } from '../../sse.js';
import { checkedFinishReason, toOpenAiLogprobs, UsageCounter, type CompletionContext } from './completion-response.js';
import type { ChatCompletionChunk, Usage } from './schema.js';

export interface StreamContext extends CompletionContext {
  includeUsage: boolean;
  requestId: string;
  /** Logs a failure that the client receives as an error event. */
  onError: (error: unknown) => void;
}

type ChunkChoice = Static<typeof ChatCompletionChunk>['choices'][number];

function chunk(context: StreamContext, choices: ChunkChoice[], usage: Usage | null = null): ChatCompletionChunk {
  const value: ChatCompletionChunk = {
    id: context.id,
    object: 'chat.completion.chunk',
    created: context.created,
    model: context.model,
    choices,
  };
  if (context.includeUsage) value.usage = usage;
  return value;
}

function eventChunk(event: GenerationEvent, context: StreamContext): ChatCompletionChunk | undefined {
  if (event.type === 'delta') {
    const logprobs =
      context.logprobs && event.logprobs !== undefined
        ? { content: toOpenAiLogprobs(event.logprobs), refusal: null }
        : null;
    // A token that completes no character yet carries nothing to show unless its logprobs were asked for.
    if (event.text === '' && logprobs === null) return undefined;
    return chunk(context, [{ index: event.choice, delta: { content: event.text }, logprobs, finish_reason: null }]);
  }
  if (event.type === 'finish') {
    const reason = checkedFinishReason(event.reason, context.signal);
    return chunk(context, [{ index: event.choice, delta: {}, logprobs: null, finish_reason: reason }]);
  }
  return undefined;
}

export async function* streamCompletion(
  events: AsyncIterable<GenerationEvent>,
  context: StreamContext,
): AsyncGenerator<string> {
  try {
    for (let index = 0; index < context.n; index += 1) {
      yield sseData(
        chunk(context, [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
      );
    }
    const counter = new UsageCounter();
    for await (const event of events) {
      counter.observe(event);
      const value = eventChunk(event, context);
      if (value !== undefined) yield sseData(value);
    }
    if (context.includeUsage) yield sseData(chunk(context, [], counter.total()));
    yield SSE_DONE;
  } catch (error) {
    // A client that left reads nothing; anyone else learns why the stream stopped.
    if (context.signal.aborted) return;
    context.onError(error);
    yield sseData(toErrorReply(error, context.requestId).body);
    yield SSE_DONE;
  }
}
