// POST /detokenize: vLLM's shapes.
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, json, type RouteSpec } from '../../openapi/route-spec.js';

/** Longer than any context this server runs; bounds the work of one request. */
export const MAX_DETOKENIZE_TOKENS = 1_048_576;

export const DetokenizeRequest = Type.Object(
  {
    model: Type.Optional(Type.String()),
    tokens: Type.Array(Type.Integer({ minimum: 0 }), { maxItems: MAX_DETOKENIZE_TOKENS }),
  },
  { title: 'DetokenizeRequest', additionalProperties: true },
);
export type DetokenizeRequest = Static<typeof DetokenizeRequest>;

export const DetokenizeResponse = Type.Object({ prompt: Type.String() }, { title: 'DetokenizeResponse' });
export type DetokenizeResponse = Static<typeof DetokenizeResponse>;

export const detokenizeSpec: RouteSpec = {
  method: 'POST',
  url: '/detokenize',
  operationId: 'detokenize',
  summary: 'Text of token ids (vLLM)',
  tag: 'vLLM',
  authenticated: true,
  body: DetokenizeRequest,
  responses: {
    '200': { description: 'The text', content: json(DetokenizeResponse) },
    ...errorResponses([400, 401, 404, 413, 415, 503]),
  },
};
