// GET /v1/models.
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import type { RouteContext } from '../../route-context.js';
import { modelsSpec, type ModelList } from './schema.js';

/** Unix seconds, whether the engine reports seconds or milliseconds. */
function unixSeconds(time: number): number {
  return Math.floor(time > 1e11 ? time / 1000 : time);
}

export function registerModelsRoute(app: FastifyInstance, context: RouteContext): void {
  app.route({
    ...routeBase(modelsSpec),
    handler: async (): Promise<ModelList> => {
      const model = context.engine.model;
      return {
        object: 'list',
        // One entry per alias, the first name first, as vLLM lists --served-model-name.
        data: context.servedModelNames.map((name) => ({
          id: name,
          object: 'model' as const,
          created: unixSeconds(model.createdAt),
          owned_by: 'shotvl',
          root: model.id,
          parent: null,
          max_model_len: model.maxModelLength,
        })),
      };
    },
  });
}
