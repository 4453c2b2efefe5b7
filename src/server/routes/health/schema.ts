// GET /health: for load balancers and orchestrators. 200 only when the engine is ready to serve.
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

export const healthSpec: RouteSpec = {
  method: 'GET',
  url: '/health',
  operationId: 'health',
  summary: 'Readiness of the engine (never needs an API key)',
  tag: 'Operations',
  authenticated: false,
  responses: {
    '200': { description: 'The model is loaded and the engine loop is alive', content: json(HealthResponse) },
    '503': { description: 'Loading, draining (shutting down), stopped or failed', content: json(HealthResponse) },
  },
};
