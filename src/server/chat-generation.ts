// What POST /v1/chat/completions and POST /v1/responses share once a request is planned as a chat
// completion: the client's disconnect becomes the abort signal, media URLs are resolved, the engine
// admits the request (its early failures still leave as a plain HTTP error), and the answer is
// either one JSON body or a server-sent event stream. Spooled media are freed when the JSON answer
// is built, or when the streamed response closes (it may be dropped before it is read at all). A
// stream's own format is the route's; a failure after its first byte goes through
// `streamFailure`, the same way for both.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GenerationEvent } from '../runtime/engine/engine-api.js';
import { toChatMessages, type ResolvedMessages } from './chat-messages.js';
import { abortOnClientClose } from './client-abort.js';
import { startGeneration } from './engine-events.js';
import { toErrorReply, type ErrorBody } from './errors.js';
import type { RouteContext } from './route-context.js';
import type { ChatRequestPlan } from './routes/chat-completions/generation-options.js';
import { SSE_HEADERS } from './sse.js';

/** What a streaming answer needs besides the events: the signal, and how to report a late failure. */
export interface StreamSettings {
  signal: AbortSignal;
  requestId: string;
  /** Logs a failure that the client receives as an error event. */
  onError: (error: unknown) => void;
}

export interface ChatGeneration<Answer> {
  /** The request's messages in chat-completions form (a Responses request's translated input). */
  messages: Parameters<typeof toChatMessages>[0];
  plan: ChatRequestPlan;
  /** Maps an error of admission onto the request's fields (default: as it is). */
  admissionError?: (error: unknown, resolved: ResolvedMessages) => unknown;
  /** Reads every event into the JSON answer. */
  collect(events: AsyncIterable<GenerationEvent>, signal: AbortSignal): Promise<Answer>;
  /** The event stream's text, chunk by chunk. */
  stream(events: AsyncIterable<GenerationEvent>, settings: StreamSettings): AsyncIterable<string>;
}

/** Runs a planned chat request on the engine and answers with JSON or an SSE stream. */
export async function runChatGeneration<Answer>(
  request: FastifyRequest,
  reply: FastifyReply,
  context: RouteContext,
  generation: ChatGeneration<Answer>,
): Promise<Answer | FastifyReply> {
  const { plan } = generation;
  const signal = abortOnClientClose(reply);
  const resolved = await toChatMessages(
    generation.messages,
    {
      resolver: context.mediaResolver,
      maxItems: context.config.maxMediaItemsPerRequest,
      options: plan.mediaOptions,
    },
    signal,
    (error) => request.log.warn({ err: error }, 'releasing media failed'),
  );
  let releaseWhenResponseCloses = false;
  try {
    const events = await startGeneration(context.engine, {
      requestId: request.id,
      messages: resolved.messages,
      sampling: plan.sampling,
      cacheSalt: plan.cacheSalt,
      ...(plan.tools === undefined ? {} : { tools: plan.tools }),
      signal,
    }).catch((error: unknown) => {
      throw generation.admissionError === undefined ? error : generation.admissionError(error, resolved);
    });
    if (!plan.stream) return await generation.collect(events, signal);
    const chunks = generation.stream(events, {
      signal,
      requestId: request.id,
      onError: (error) => request.log.error({ err: error }, 'stream failed after it began'),
    });
    // The stream may be dropped before it is read at all; the response's end is the one sure signal.
    releaseWhenResponseCloses = true;
    reply.raw.once('close', () => void resolved.release());
    return reply.headers(SSE_HEADERS).send(Readable.from(chunks));
  } finally {
    if (!releaseWhenResponseCloses) await resolved.release();
  }
}

/**
 * A stream that failed after its first byte: nothing when the client left (nobody reads it),
 * else the failure is logged and its error body returned for the route's own error event.
 */
export function streamFailure(error: unknown, settings: StreamSettings): ErrorBody | undefined {
  if (settings.signal.aborted) return undefined;
  settings.onError(error);
  return toErrorReply(error, settings.requestId).body;
}
