// POST /tokenize.
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import { toChatMessages, withMediaParam } from '../../chat-messages.js';
import { abortOnClientClose } from '../../client-abort.js';
import { ApiError } from '../../errors.js';
import { dropNullFields } from '../../request-fields.js';
import type { RouteContext } from '../../route-context.js';
import { resolveServedModel } from '../../served-model.js';
import { TokenizeRequest, tokenizeSpec, type TokenizeResponse } from './schema.js';

export function registerTokenizeRoute(app: FastifyInstance, context: RouteContext): void {
  app.route<{ Body: TokenizeRequest }>({
    ...routeBase(tokenizeSpec),
    schema: { body: TokenizeRequest },
    preValidation: async (request) => {
      dropNullFields(request.body);
    },
    handler: async (request, reply): Promise<TokenizeResponse> => {
      const body = request.body;
      resolveServedModel(body.model, context.servedModelNames);
      if ((body.prompt === undefined) === (body.messages === undefined)) {
        throw new ApiError('invalid_request', {
          message: "Send exactly one of 'prompt' or 'messages'.",
          param: body.prompt === undefined ? 'prompt' : 'messages',
        });
      }
      // Issue 17: the client's disconnect stops the work (media decoding included), as for chat.
      const signal = abortOnClientClose(reply);
      if (body.messages === undefined) {
        const result = await context.engine.tokenize({ text: body.prompt as string, signal });
        return { count: result.tokens.length, max_model_len: result.maxModelLength, tokens: result.tokens };
      }
      const resolved = await toChatMessages(
        body.messages,
        { resolver: context.mediaResolver, maxItems: context.config.maxMediaItemsPerRequest, options: {} },
        signal,
        (error) => request.log.warn({ err: error }, 'releasing media failed'),
      );
      try {
        const result = await context.engine
          .tokenize({ messages: resolved.messages, addGenerationPrompt: body.add_generation_prompt ?? true, signal })
          .catch((error: unknown) => {
            throw withMediaParam(error, resolved);
          });
        return { count: result.tokens.length, max_model_len: result.maxModelLength, tokens: result.tokens };
      } finally {
        await resolved.release();
      }
    },
  });
}
