// GET /openapi.yaml: this API's contract.
import { Type } from '@sinclair/typebox';
import type { RouteSpec } from '../../openapi/route-spec.js';

export const openApiSpec: RouteSpec = {
  method: 'GET',
  url: '/openapi.yaml',
  operationId: 'openapi',
  summary: 'This OpenAPI document',
  tag: 'Operations',
  authenticated: false,
  responses: { '200': { description: 'OpenAPI 3.1 in YAML', content: { 'application/yaml': Type.String() } } },
};
