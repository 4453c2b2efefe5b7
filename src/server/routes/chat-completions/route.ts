// POST /v1/chat/completions: check the request, resolve its media, run it on the engine, and answer
// with one JSON completion or a server-sent event stream. The client's disconnect aborts the engine
// request (the signal is tied to the response socket).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import { withMediaParam } from '../../chat-messages.js';
import { runChatGeneration } from '../../chat-generation.js';
import { dropNullFields, unknownFieldReporter } from '../../request-fields.js';
import type { RouteContext } from '../../route-context.js';
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
      const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
      const completion = (signal: AbortSignal): CompletionContext => ({
        id,
        created: Math.floor(Date.now() / 1000),
        model: plan.modelName,
        systemFingerprint: context.systemFingerprint,
        n: plan.sampling.n,
        logprobs: plan.sampling.logprobs !== undefined,
        toolCalls: plan.toolCalls,
        signal,
      });
      return runChatGeneration(request, reply, context, {
        messages: body.messages,
        plan,
        admissionError: withMediaParam,
        collect: (events, signal) => collectCompletion(events, completion(signal)),
        stream: (events, settings) =>
          streamCompletion(events, {
            ...completion(settings.signal),
            ...settings,
            includeUsage: plan.includeUsage,
            continuousUsage: plan.continuousUsage,
          }),
      });
    },
  });
}
