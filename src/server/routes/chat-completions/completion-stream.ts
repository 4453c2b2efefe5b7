// Engine events -> OpenAI's `chat.completion.chunk` server-sent events. Order, as OpenAI and vLLM
// send it: a role chunk per choice, content chunks, a finish chunk per choice (empty delta), the
// usage chunk (empty choices) when stream_options.include_usage, then `data: [DONE]`. With vLLM's
// continuous_usage_stats every chunk also carries the usage so far. A failure
// after the first byte cannot change the status any more, so it is sent as `data: {"error":...}`.
import type { Static } from '@sinclair/typebox';
import type { GenerationEvent } from '../../../runtime/engine/engine-api.js';
import { streamFailure, type StreamSettings } from '../../chat-generation.js';
import { SSE_DONE, sseData } from '../../sse.js';
import { checkedFinishReason, toOpenAiLogprobs, UsageCounter, type CompletionContext } from './completion-response.js';
import type { ChatCompletionChunk, Usage } from './schema.js';
import { finishWithCalls, ToolCallStream } from './tool-call-output.js';

export interface StreamContext extends CompletionContext, StreamSettings {
  includeUsage: boolean;
  /** vLLM's continuous_usage_stats: every chunk carries the usage so far (implies includeUsage). */
  continuousUsage: boolean;
}

type ChunkChoice = Static<typeof ChatCompletionChunk>['choices'][number];

function chunk(context: StreamContext, choices: ChunkChoice[], usage: Usage | null = null): ChatCompletionChunk {
  const value: ChatCompletionChunk = {
    id: context.id,
    object: 'chat.completion.chunk',
    created: context.created,
    model: context.model,
    choices,
    system_fingerprint: context.systemFingerprint,
  };
  if (context.includeUsage || context.continuousUsage) value.usage = usage;
  return value;
}

function eventChunks(
  event: GenerationEvent,
  context: StreamContext,
  usageSoFar: () => Usage | null,
  toolStreams: ToolCallStream[] | undefined,
): ChatCompletionChunk[] {
  const tools = toolStreams?.[event.type === 'delta' || event.type === 'finish' ? event.choice : 0];
  if (event.type === 'delta') {
    const logprobs =
      context.logprobs && event.logprobs !== undefined
        ? { content: toOpenAiLogprobs(event.logprobs), refusal: null }
        : null;
    const deltas = tools === undefined ? [{ content: event.text }] : tools.push(event.text);
    // A token that completes no character yet carries nothing to show unless its logprobs were asked for.
    if (tools === undefined && event.text === '' && logprobs === null) return [];
    if (deltas.length === 0 && logprobs !== null) deltas.push({ content: '' });
    return deltas.map((delta, position) =>
      chunk(
        context,
        [{ index: event.choice, delta, logprobs: position === 0 ? logprobs : null, finish_reason: null }],
        usageSoFar(),
      ),
    );
  }
  if (event.type === 'finish') {
    const engineReason = checkedFinishReason(event.reason, context.signal);
    const rest = (tools?.finish() ?? []).map((delta) =>
      chunk(context, [{ index: event.choice, delta, logprobs: null, finish_reason: null }], usageSoFar()),
    );
    const reason = finishWithCalls(engineReason, tools?.callCount ?? 0);
    return [
      ...rest,
      chunk(context, [{ index: event.choice, delta: {}, logprobs: null, finish_reason: reason }], usageSoFar()),
    ];
  }
  return [];
}

function* roleChunks(context: StreamContext, usage: Usage | null): Generator<string> {
  for (let index = 0; index < context.n; index += 1) {
    yield sseData(
      chunk(
        context,
        [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
        usage,
      ),
    );
  }
}

export async function* streamCompletion(
  events: AsyncIterable<GenerationEvent>,
  context: StreamContext,
): AsyncGenerator<string> {
  try {
    const counter = new UsageCounter();
    const format = context.toolCalls;
    const toolStreams =
      format !== undefined ? Array.from({ length: context.n }, () => new ToolCallStream(format.parser())) : undefined;
    const usageSoFar = (): Usage | null => (context.continuousUsage ? counter.total() : null);
    // With continuous usage the role chunks wait for the engine's first event (the prompt's size),
    // so that they too carry true figures; otherwise they go out at once.
    let rolesSent = !context.continuousUsage;
    if (rolesSent) yield* roleChunks(context, null);
    for await (const event of events) {
      counter.observe(event);
      if (!rolesSent) {
        rolesSent = true;
        yield* roleChunks(context, usageSoFar());
      }
      for (const value of eventChunks(event, context, usageSoFar, toolStreams)) yield sseData(value);
    }
    if (!rolesSent) yield* roleChunks(context, usageSoFar());
    if (context.includeUsage || context.continuousUsage) yield sseData(chunk(context, [], counter.total()));
    yield SSE_DONE;
  } catch (error) {
    const failure = streamFailure(error, context);
    if (failure === undefined) return;
    yield sseData(failure);
    yield SSE_DONE;
  }
}
