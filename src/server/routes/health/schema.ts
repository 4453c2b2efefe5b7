// GET /health (readiness) and GET /health/live (liveness): for load balancers and orchestrators.
// /health is 200 only while the engine is ready and the server is not draining: it turns 503 the
// moment SIGTERM arrives, so balancers and Kubernetes endpoints stop sending new work before the
// in-flight requests finish. /health/live stays 200 while loading and draining and is 503 only
// when the engine has failed or stopped, so a liveness probe never kills a replica mid-drain.
import { Type, type Static } from '@sinclair/typebox';
import { json, type RouteSpec } from '../../openapi/route-spec.js';

export const HealthResponse = Type.Object(
  {
    status: Type.Union([
      Type.Literal('loading'),
      Type.Literal('ready'),
      Type.Literal('draining'),
      Type.Literal('stopped'),
      Type.Literal('failed'),
    ]),
  },
  { title: 'HealthResponse' },
);
export type HealthResponse = Static<typeof HealthResponse>;

const retryAfterHeader = {
  'Retry-After': { description: 'Seconds after which to ask again', schema: Type.Integer() },
};

export const healthSpec: RouteSpec = {
  method: 'GET',
  url: '/health',
  operationId: 'health',
  summary: 'Readiness: 200 only when the engine is ready and the server is not draining (never needs an API key)',
  tag: 'Operations',
  authenticated: false,
  responses: {
    '200': { description: 'The model is loaded and the engine loop is alive', content: json(HealthResponse) },
    '503': {
      description: 'Loading, draining (shutting down), stopped or failed',
      content: json(HealthResponse),
      headers: retryAfterHeader,
    },
  },
};

export const livenessSpec: RouteSpec = {
  method: 'GET',
  url: '/health/live',
  operationId: 'liveness',
  summary: 'Liveness: 200 unless the engine has failed or stopped (never needs an API key)',
  tag: 'Operations',
  authenticated: false,
  responses: {
    '200': { description: 'Loading, ready or draining: the process is doing its job', content: json(HealthResponse) },
    '503': {
      description: 'The engine has failed or stopped: restart the process',
      content: json(HealthResponse),
      headers: retryAfterHeader,
    },
  },
};
