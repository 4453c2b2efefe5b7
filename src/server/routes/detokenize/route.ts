// POST /detokenize.
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import { dropNullFields } from '../../request-fields.js';
import type { RouteContext } from '../../route-context.js';
import { resolveServedModel } from '../../served-model.js';
import { DetokenizeRequest, detokenizeSpec, type DetokenizeResponse } from './schema.js';

export function registerDetokenizeRoute(app: FastifyInstance, context: RouteContext): void {
  app.route<{ Body: DetokenizeRequest }>({
    ...routeBase(detokenizeSpec),
    schema: { body: DetokenizeRequest },
    preValidation: async (request) => {
      dropNullFields(request.body);
    },
    handler: async (request): Promise<DetokenizeResponse> => {
      resolveServedModel(request.body.model, context.servedModelNames);
      return { prompt: await context.engine.detokenize(request.body.tokens) };
    },
  });
}
