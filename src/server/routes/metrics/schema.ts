// GET /metrics: Prometheus text format, vLLM's metric names (see engine-metrics.ts).
import { Type } from '@sinclair/typebox';
import type { RouteSpec } from '../../openapi/route-spec.js';

export const metricsSpec: RouteSpec = {
  method: 'GET',
  url: '/metrics',
  operationId: 'metrics',
  summary: "Prometheus metrics with vLLM's names (never needs an API key)",
  tag: 'Operations',
  authenticated: false,
  responses: {
    '200': { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': Type.String() } },
  },
};
