// GET /metrics.
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import type { RouteContext } from '../../route-context.js';
import { EngineMetrics } from './engine-metrics.js';
import { metricsSpec } from './schema.js';

export function registerMetricsRoute(app: FastifyInstance, context: RouteContext): void {
  const metrics = new EngineMetrics(context.engine, context.servedModelName);
  app.route({
    ...routeBase(metricsSpec),
    handler: async (_request, reply) => {
      const { contentType, text } = await metrics.exposition();
      return reply.type(contentType).header('cache-control', 'no-store').send(text);
    },
  });
}
