// GET /docs: Swagger UI over /openapi.yaml's document, served from local files (works offline).
import { Type } from '@sinclair/typebox';
import type { RouteSpec } from '../../openapi/route-spec.js';

export const docsSpec: RouteSpec = {
  method: 'GET',
  url: '/docs',
  operationId: 'docs',
  summary: 'Swagger UI for this API',
  tag: 'Operations',
  authenticated: false,
  responses: { '200': { description: 'HTML page', content: { 'text/html': Type.String() } } },
};
