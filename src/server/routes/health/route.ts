// GET /health (readiness) and GET /health/live (liveness); see schema.ts for what each means.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import type { RouteContext } from '../../route-context.js';
import { healthSpec, livenessSpec, type HealthResponse } from './schema.js';

/** Seconds a balancer or client is told to wait before asking a replica that is not ready again. */
export const HEALTH_RETRY_AFTER_SECONDS = 5;

const ALIVE: ReadonlySet<HealthResponse['status']> = new Set(['loading', 'ready', 'draining']);

function send(reply: FastifyReply, status: HealthResponse['status'], ok: boolean): HealthResponse {
  reply.code(ok ? 200 : 503).header('cache-control', 'no-store');
  if (!ok) reply.header('retry-after', String(HEALTH_RETRY_AFTER_SECONDS));
  return { status };
}

export function registerHealthRoute(app: FastifyInstance, context: RouteContext): void {
  const status = (): HealthResponse['status'] => (context.state.draining ? 'draining' : context.engine.state());
  app.route({
    ...routeBase(healthSpec),
    handler: async (_request, reply): Promise<HealthResponse> => {
      const current = status();
      return send(reply, current, current === 'ready');
    },
  });
  app.route({
    ...routeBase(livenessSpec),
    handler: async (_request, reply): Promise<HealthResponse> => {
      const current = status();
      return send(reply, current, ALIVE.has(current));
    },
  });
}
