// GET /v1/models: OpenAI's model list, with vLLM's `root`, `parent` and `max_model_len`.
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, json, type RouteSpec } from '../../openapi/route-spec.js';

export const ModelCard = Type.Object(
  {
    id: Type.String({ description: 'The name to send as `model`' }),
    object: Type.Literal('model'),
    created: Type.Integer(),
    owned_by: Type.String(),
    root: Type.String({ description: 'The underlying model' }),
    parent: Type.Null(),
    max_model_len: Type.Integer({ description: 'Context length in tokens (prompt + completion)' }),
  },
  { title: 'Model' },
);

export const ModelList = Type.Object(
  { object: Type.Literal('list'), data: Type.Array(ModelCard) },
  { title: 'ListModelsResponse' },
);
export type ModelList = Static<typeof ModelList>;

export const modelsSpec: RouteSpec = {
  method: 'GET',
  url: '/v1/models',
  operationId: 'listModels',
  summary: 'The served model',
  tag: 'OpenAI',
  authenticated: true,
  responses: {
    '200': { description: 'The list with the one served model', content: json(ModelList) },
    ...errorResponses([401]),
  },
};
