// POST /tokenize: vLLM's shapes. Either `prompt` (plain text) or `messages` (run through the chat
// template, media included, so the count matches what a chat completion would use).
import { Type, type Static } from '@sinclair/typebox';
import { errorResponses, json, type RouteSpec } from '../../openapi/route-spec.js';
import { RequestMessage } from '../chat-completions/schema.js';

export const TokenizeRequest = Type.Object(
  {
    model: Type.Optional(Type.String()),
    prompt: Type.Optional(Type.String()),
    messages: Type.Optional(Type.Array(RequestMessage, { minItems: 1 })),
    add_generation_prompt: Type.Optional(
      Type.Boolean({ default: true, description: 'With messages: end with the assistant turn header' }),
    ),
    add_special_tokens: Type.Optional(
      Type.Boolean({ description: 'Accepted; Qwen2.5-VL adds no special tokens to plain text' }),
    ),
  },
  { title: 'TokenizeRequest', description: 'Exactly one of prompt or messages', additionalProperties: true },
);
export type TokenizeRequest = Static<typeof TokenizeRequest>;

export const TokenizeResponse = Type.Object(
  { count: Type.Integer(), max_model_len: Type.Integer(), tokens: Type.Array(Type.Integer()) },
  { title: 'TokenizeResponse' },
);
export type TokenizeResponse = Static<typeof TokenizeResponse>;

export const tokenizeSpec: RouteSpec = {
  method: 'POST',
  url: '/tokenize',
  operationId: 'tokenize',
  summary: 'Token ids of a text or of chat messages (vLLM)',
  tag: 'vLLM',
  authenticated: true,
  body: TokenizeRequest,
  responses: {
    '200': { description: 'The token ids', content: json(TokenizeResponse) },
    ...errorResponses([400, 401, 404, 413, 415, 422, 503]),
  },
};
