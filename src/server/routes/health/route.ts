// GET /health.
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import type { RouteContext } from '../../route-context.js';
import { healthSpec, type HealthResponse } from './schema.js';

export function registerHealthRoute(app: FastifyInstance, context: RouteContext): void {
  app.route({
    ...routeBase(healthSpec),
    handler: async (_request, reply): Promise<HealthResponse> => {
      const status = context.state.draining ? 'draining' : context.engine.state();
      reply.code(status === 'ready' ? 200 : 503).header('cache-control', 'no-store');
      return { status };
    },
  });
}
