// POST /v1/responses: OpenAI's Responses API, stateless. The request takes text and image input
// (`input_text`, `input_image`, and `output_text` when a client replays an assistant turn),
// `instructions`, `max_output_tokens`, sampling and `text.format`; the response and the stream's
// typed events have OpenAI's shapes. Fields that need stored state (previous_response_id,
// conversation, background, item references) are refused with 400 by the route, not ignored.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { errorResponses, type RouteSpec } from '../../openapi/route-spec.js';
import { MAX_TOP_LOGPROBS } from '../chat-completions/schema.js';

function discriminated<T extends TSchema[]>(branches: [...T], title: string): TSchema {
  return Type.Unsafe({ type: 'object', oneOf: branches, discriminator: { propertyName: 'type' }, title });
}

export const InputTextPart = Type.Object(
  { type: Type.Literal('input_text'), text: Type.String() },
  { title: 'ResponsesInputText' },
);
export const InputImagePart = Type.Object(
  {
    type: Type.Literal('input_image'),
    image_url: Type.String({ description: 'data: (base64), http(s): or file: URL' }),
    detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])),
  },
  { title: 'ResponsesInputImage', description: 'file_id is not supported (nothing is stored here)' },
);
export const OutputTextPart = Type.Object(
  { type: Type.Literal('output_text'), text: Type.String() },
  { title: 'ResponsesOutputTextInput', description: 'An earlier assistant answer, replayed by the client' },
);
export type InputPart = Static<typeof InputTextPart> | Static<typeof InputImagePart> | Static<typeof OutputTextPart>;
const InputPart = Type.Unsafe<InputPart>(
  discriminated([InputTextPart, InputImagePart, OutputTextPart], 'ResponsesInputContent'),
);

export const InputMessage = Type.Object(
  {
    type: Type.Optional(Type.Literal('message')),
    role: Type.Union([
      Type.Literal('user'),
      Type.Literal('assistant'),
      Type.Literal('system'),
      Type.Literal('developer'),
    ]),
    content: Type.Union([Type.String(), Type.Array(InputPart, { minItems: 1 })]),
  },
  { title: 'ResponsesInputMessage', additionalProperties: true },
);
export type InputMessage = Static<typeof InputMessage>;

const JsonSchemaFormat = Type.Object(
  {
    type: Type.Literal('json_schema'),
    name: Type.String(),
    schema: Type.Record(Type.String(), Type.Unknown()),
    description: Type.Optional(Type.String()),
    strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { title: 'ResponsesJsonSchemaFormat' },
);
export const TextFormat = Type.Union(
  [Type.Object({ type: Type.Literal('text') }), Type.Object({ type: Type.Literal('json_object') }), JsonSchemaFormat],
  // Untitled: the request's optional copy and the response's would be two components of one name.
  { description: 'text (default), json_object, or json_schema as in chat response_format' },
);
export type TextFormat = Static<typeof TextFormat>;

export const ResponsesRequest = Type.Object(
  {
    model: Type.Optional(Type.String({ description: 'The served model name (GET /v1/models); defaults to it' })),
    input: Type.Union([Type.String(), Type.Array(InputMessage, { minItems: 1 })]),
    instructions: Type.Optional(Type.String({ description: 'A system message placed before the input' })),
    max_output_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    top_p: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    top_logprobs: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TOP_LOGPROBS })),
    seed: Type.Optional(Type.Integer()),
    stream: Type.Optional(Type.Boolean({ default: false })),
    store: Type.Optional(
      Type.Boolean({ description: 'Accepted; nothing is stored, so GET /v1/responses/{id} does not exist here' }),
    ),
    // OpenAI's bounds: at most 16 pairs, keys up to 64 characters, values up to 512.
    metadata: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: 512 }), {
        maxProperties: 16,
        propertyNames: { maxLength: 64 },
        description: 'Echoed in the response (at most 16 pairs; keys up to 64 characters, values up to 512)',
      }),
    ),
    text: Type.Optional(Type.Object({ format: Type.Optional(TextFormat) }, { additionalProperties: true })),
    previous_response_id: Type.Optional(Type.String({ description: 'Needs stored state: refused (400)' })),
    conversation: Type.Optional(Type.Unknown({ description: 'Needs stored state: refused (400)' })),
    background: Type.Optional(Type.Boolean({ description: 'Only false' })),
    tools: Type.Optional(Type.Array(Type.Unknown(), { description: 'Not supported here yet: must be empty' })),
    tool_choice: Type.Optional(Type.Unknown()),
    parallel_tool_calls: Type.Optional(Type.Boolean()),
    truncation: Type.Optional(Type.Literal('disabled', { description: 'auto (dropping input) is not supported' })),
    user: Type.Optional(Type.String()),
  },
  { title: 'CreateResponse', additionalProperties: true },
);
export type ResponsesRequest = Static<typeof ResponsesRequest>;

const OutputText = Type.Object({
  type: Type.Literal('output_text'),
  text: Type.String(),
  annotations: Type.Array(Type.Unknown()),
  logprobs: Type.Array(
    Type.Object({
      token: Type.String(),
      logprob: Type.Number(),
      bytes: Type.Array(Type.Integer()),
      top_logprobs: Type.Array(
        Type.Object({ token: Type.String(), logprob: Type.Number(), bytes: Type.Array(Type.Integer()) }),
      ),
    }),
    { description: 'With top_logprobs: each token of the text, and its most likely alternatives' },
  ),
});
export type OutputText = Static<typeof OutputText>;

const OutputMessage = Type.Object({
  id: Type.String({ description: 'msg_...' }),
  type: Type.Literal('message'),
  role: Type.Literal('assistant'),
  status: Type.Union([Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('incomplete')]),
  content: Type.Array(OutputText),
});
export type OutputMessage = Static<typeof OutputMessage>;

const ResponseUsage = Type.Object({
  input_tokens: Type.Integer(),
  input_tokens_details: Type.Object({ cached_tokens: Type.Integer(), cache_write_tokens: Type.Integer() }),
  output_tokens: Type.Integer(),
  output_tokens_details: Type.Object({ reasoning_tokens: Type.Integer() }),
  total_tokens: Type.Integer(),
});
export type ResponseUsage = Static<typeof ResponseUsage>;

export const ResponseObject = Type.Object(
  {
    id: Type.String({ description: 'resp_...' }),
    object: Type.Literal('response'),
    created_at: Type.Integer(),
    completed_at: Type.Union([Type.Integer(), Type.Null()]),
    status: Type.Union([Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('incomplete')]),
    error: Type.Null(),
    incomplete_details: Type.Union([Type.Object({ reason: Type.Literal('max_output_tokens') }), Type.Null()]),
    instructions: Type.Union([Type.String(), Type.Null()]),
    max_output_tokens: Type.Union([Type.Integer(), Type.Null()]),
    model: Type.String(),
    output: Type.Array(OutputMessage),
    output_text: Type.String({ description: 'All output text joined (what the SDKs expose as output_text)' }),
    parallel_tool_calls: Type.Boolean(),
    previous_response_id: Type.Null(),
    store: Type.Boolean(),
    temperature: Type.Number(),
    top_p: Type.Number(),
    text: Type.Object({ format: TextFormat }),
    tool_choice: Type.Literal('auto'),
    tools: Type.Array(Type.Unknown()),
    truncation: Type.Literal('disabled'),
    usage: Type.Optional(ResponseUsage),
    metadata: Type.Record(Type.String(), Type.String()),
  },
  { title: 'Response' },
);
export type ResponseObject = Static<typeof ResponseObject>;

export const ResponseStreamEvent = Type.Object(
  {
    type: Type.String({ description: 'response.created, response.output_text.delta, response.completed, ...' }),
    sequence_number: Type.Integer(),
  },
  {
    title: 'ResponseStreamEvent',
    additionalProperties: true,
    description:
      'Server-sent events `event: <type>` + `data: <json>`, in OpenAI order: response.created, response.in_progress, response.output_item.added, response.content_part.added, response.output_text.delta..., response.output_text.done, response.content_part.done, response.output_item.done, then response.completed or response.incomplete (an error after the stream began: an `error` event). No [DONE].',
  },
);

export const responsesSpec: RouteSpec = {
  method: 'POST',
  url: '/v1/responses',
  operationId: 'createResponse',
  summary: "OpenAI's Responses API, stateless (text and image input)",
  tag: 'OpenAI',
  authenticated: true,
  body: ResponsesRequest,
  responses: {
    '200': {
      description: 'The response (JSON), or with stream: true a server-sent event stream of typed events',
      content: { 'application/json': ResponseObject, 'text/event-stream': ResponseStreamEvent },
    },
    ...errorResponses([400, 401, 404, 413, 415, 422, 500, 503]),
  },
};
