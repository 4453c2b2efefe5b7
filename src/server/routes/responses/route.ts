// POST /v1/responses: translate the request into a chat completion (chat-translation.ts), run it on
// the engine like /v1/chat/completions does, and answer with a `response` object or its typed event
// stream. Errors name the Responses request's own fields.
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import { runChatGeneration } from '../../chat-generation.js';
import { ApiError, toApiError, withParam } from '../../errors.js';
import { dropNullFields, unknownFieldReporter } from '../../request-fields.js';
import type { RouteContext } from '../../route-context.js';
import { planChatRequest } from '../chat-completions/generation-options.js';
import { responsesParam, toChatRequest } from './chat-translation.js';
import { collectResponse, ResponseBuilder } from './response-object.js';
import { streamResponse } from './response-stream.js';
import { ResponsesRequest, responsesSpec } from './schema.js';

/** Fields OpenAI's SDKs may send that change nothing here (no stored state, no routing tiers). */
const IGNORED_FIELDS = [
  'include',
  'reasoning',
  'service_tier',
  'prompt_cache_key',
  'safety_identifier',
  'stream_options',
];

export function registerResponsesRoute(app: FastifyInstance, context: RouteContext): void {
  const reportUnknownFields = unknownFieldReporter(
    [...Object.keys(ResponsesRequest.properties), ...IGNORED_FIELDS],
    responsesSpec.url,
  );

  app.route<{ Body: ResponsesRequest }>({
    ...routeBase(responsesSpec),
    schema: { body: ResponsesRequest },
    preValidation: async (request) => {
      dropNullFields(request.body);
    },
    handler: async (request, reply) => {
      const body = request.body;
      reportUnknownFields(body, request.log);
      // The chat pipeline's messages quote its own field names ('response_format.json_schema.schema'):
      // the renamed field is quoted instead, so that message and param agree.
      const renameError = (error: unknown): unknown => {
        const apiError = toApiError(error);
        const original = apiError.options.param;
        const param = responsesParam(original, body);
        if (param === undefined || param === null || original === undefined || original === null || param === original)
          return apiError;
        const renamed = withParam(apiError, param);
        const message = renamed.message.replaceAll(`'${original}'`, `'${param}'`);
        return message === renamed.message ? renamed : new ApiError(renamed.code, { ...renamed.options, message });
      };
      try {
        const chat = toChatRequest(body);
        const plan = planChatRequest(chat, context.engine, context.servedModelNames);
        const builder = (signal: AbortSignal) =>
          new ResponseBuilder(body, {
            model: plan.modelName,
            temperature: plan.sampling.temperature,
            topP: plan.sampling.topP,
            signal,
          });
        return await runChatGeneration(request, reply, context, {
          messages: chat.messages,
          plan,
          collect: (events, signal) => collectResponse(events, builder(signal), signal),
          stream: (events, settings) => streamResponse(events, builder(settings.signal), { ...settings, renameError }),
        });
      } catch (error) {
        throw renameError(error);
      }
    },
  });
}
