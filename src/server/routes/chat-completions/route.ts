// POST /v1/chat/completions: check the request, resolve its media, run it on the engine, and answer
// with one JSON completion or a server-sent event stream. The client's disconnect aborts the engine
// request (the signal is tied to the response socket).
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import { toChatMessages, withMediaParam } from '../../chat-messages.js';
import { abortOnClientClose } from '../../client-abort.js';
import { startGeneration } from '../../engine-events.js';
import { dropNullFields, unknownFieldReporter } from '../../request-fields.js';
import type { RouteContext } from '../../route-context.js';
import { SSE_HEADERS } from '../../sse.js';
import { collectCompletion, type CompletionContext } from './completion-response.js';
import { streamCompletion } from './completion-stream.js';
import { planChatRequest } from './generation-options.js';
import { ChatCompletionRequest, chatCompletionsSpec } from './schema.js';

export function registerChatCompletionsRoute(app: FastifyInstance, context: RouteContext): void {
  const reportUnknownFields = unknownFieldReporter(
    Object.keys(ChatCompletionRequest.properties),
    chatCompletionsSpec.url,
  );

  app.route<{ Body: ChatCompletionRequest }>({
    ...routeBase(chatCompletionsSpec),
    schema: { body: ChatCompletionRequest },
    preValidation: async (request) => {
      dropNullFields(request.body);
    },
    handler: async (request, reply) => {
      const body = request.body;
      reportUnknownFields(body, request.log);
      const plan = planChatRequest(body, context.engine, context.servedModelNames);
      const signal = abortOnClientClose(reply);
      const resolved = await toChatMessages(
        body.messages,
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
          throw withMediaParam(error, resolved);
        });
        const completion: CompletionContext = {
          id: `chatcmpl-${randomUUID().replaceAll('-', '')}`,
          created: Math.floor(Date.now() / 1000),
          model: plan.modelName,
          systemFingerprint: context.systemFingerprint,
          n: plan.sampling.n,
          logprobs: plan.sampling.logprobs !== undefined,
          toolCalls: plan.toolCalls,
          signal,
        };
        if (!plan.stream) return await collectCompletion(events, completion);
        const chunks = streamCompletion(events, {
          ...completion,
          includeUsage: plan.includeUsage,
          continuousUsage: plan.continuousUsage,
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
    },
  });
}
