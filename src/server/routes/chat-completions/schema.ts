// POST /v1/chat/completions: OpenAI's request with vLLM's extensions (top_k, min_p,
// repetition_penalty, structured_outputs / guided_choice, mm_processor_kwargs, cache_salt,
// video_url parts); OpenAI's response and stream chunk shapes are in response-schema.ts. Top-level `null` means "not
// given" (clients send it for unset fields); unknown top-level fields are accepted and logged.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { errorResponses, type RouteSpec } from '../../openapi/route-spec.js';
import { MAX_PIXELS, MAX_VIDEO_FPS, MIN_PIXELS, MIN_VIDEO_FPS } from '../../../media/smart-resize.js';
import { ChatCompletion, ChatCompletionChunk } from './response-schema.js';

export { ChatCompletion, ChatCompletionChunk, ChoiceLogprobs, TokenLogprob, Usage } from './response-schema.js';

/** Choices per request; beyond this, n is a typo or an abuse. */
export const MAX_CHOICES = 16;
export const MAX_STOP_SEQUENCES = 16;
/** OpenAI's and vLLM's cap on top_logprobs. */
export const MAX_TOP_LOGPROBS = 20;
/** Structured choice: most strings, and most characters per string (their total is --max-choice-bytes). */
export const MAX_CHOICE_STRINGS = 1024;
export const MAX_CHOICE_CHARACTERS = 1024;
const ChoiceString = Type.String({ maxLength: MAX_CHOICE_CHARACTERS });

/** A discriminated union (`type` picks the branch): clean validation errors, and OpenAPI's own keyword. */
function discriminated<T extends TSchema[]>(branches: [...T], title: string): TSchema {
  return Type.Unsafe({ type: 'object', oneOf: branches, discriminator: { propertyName: 'type' }, title });
}

const MediaUrl = (kind: string) =>
  Type.Union(
    [
      Type.String({ description: `A bare URL of the ${kind}` }),
      Type.Object({
        url: Type.String({ description: 'data: (base64), http(s): or file: (under --allowed-local-media-path) URL' }),
        detail: Type.Optional(
          Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')], {
            description: 'Accepted and ignored',
          }),
        ),
      }),
    ],
    { title: `${kind === 'image' ? 'Image' : 'Video'}Url` },
  );

export const TextPart = Type.Object(
  { type: Type.Literal('text'), text: Type.String() },
  { title: 'ChatCompletionTextPart' },
);
export const ImagePart = Type.Object(
  { type: Type.Literal('image_url'), image_url: MediaUrl('image') },
  { title: 'ChatCompletionImagePart' },
);
export const VideoPart = Type.Object(
  { type: Type.Literal('video_url'), video_url: MediaUrl('video') },
  {
    title: 'ChatCompletionVideoPart',
    description: 'A video file URL, or data:video/jpeg;base64,<frame>,<frame>,... as a list of frames',
  },
);
export const ContentPart = Type.Unsafe<Static<typeof TextPart> | Static<typeof ImagePart> | Static<typeof VideoPart>>(
  discriminated([TextPart, ImagePart, VideoPart], 'ChatCompletionContentPart'),
);

/** Tools per request; beyond this the prompt is mostly tool definitions. */
export const MAX_TOOLS = 128;

const FunctionName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_.-]+$' });

const RequestToolCall = Type.Object(
  {
    id: Type.String(),
    type: Type.Literal('function'),
    function: Type.Object({ name: Type.String(), arguments: Type.String() }),
  },
  { title: 'ChatCompletionMessageToolCall' },
);

export const Tool = Type.Object(
  {
    type: Type.Literal('function'),
    function: Type.Object({
      name: FunctionName,
      description: Type.Optional(Type.String()),
      parameters: Type.Optional(
        Type.Object({}, { additionalProperties: true, description: 'JSON Schema (the supported subset: see README)' }),
      ),
      strict: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    }),
  },
  { title: 'ChatCompletionTool' },
);

export const ToolChoice = Type.Union(
  [
    Type.Literal('none'),
    Type.Literal('auto'),
    Type.Literal('required'),
    Type.Object({ type: Type.Literal('function'), function: Type.Object({ name: Type.String() }) }),
  ],
  { description: 'auto (default with tools): the model decides; required or a named function: always a call' },
);

export const RequestMessage = Type.Object(
  {
    role: Type.Union(
      [
        Type.Literal('system'),
        Type.Literal('developer'),
        Type.Literal('user'),
        Type.Literal('assistant'),
        Type.Literal('tool'),
      ],
      {
        description: 'developer is treated as system; tool carries a tool result',
      },
    ),
    content: Type.Optional(
      Type.Union([Type.String(), Type.Array(ContentPart, { minItems: 1 }), Type.Null()], {
        description: 'Required except on assistant messages with tool_calls',
      }),
    ),
    name: Type.Optional(Type.String()),
    tool_calls: Type.Optional(
      Type.Array(RequestToolCall, { maxItems: MAX_TOOLS, description: 'Calls an assistant message made' }),
    ),
    tool_call_id: Type.Optional(Type.String({ description: 'The call a tool message answers' })),
  },
  { title: 'ChatCompletionRequestMessage' },
);

const JsonSchemaValue = (description: string) =>
  Type.Union([Type.Object({}, { additionalProperties: true }), Type.Boolean(), Type.String()], { description });

export const ResponseFormat = Type.Unsafe<
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
    }
>(
  discriminated(
    [
      Type.Object({ type: Type.Literal('text') }, { title: 'ResponseFormatText' }),
      Type.Object({ type: Type.Literal('json_object') }, { title: 'ResponseFormatJsonObject' }),
      Type.Object(
        {
          type: Type.Literal('json_schema'),
          json_schema: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 64 }),
              description: Type.Optional(Type.String()),
              schema: Type.Optional(
                Type.Object({}, { additionalProperties: true, description: 'The supported subset: see the README' }),
              ),
              strict: Type.Optional(
                Type.Union([Type.Boolean(), Type.Null()], {
                  description: 'Accepted; the output always follows the schema',
                }),
              ),
            },
            { additionalProperties: true },
          ),
        },
        { title: 'ResponseFormatJsonSchema' },
      ),
    ],
    'ResponseFormat',
  ),
);

const Probability = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const Penalty = (description: string) => Type.Number({ minimum: -2, maximum: 2, description });

export const ChatCompletionRequest = Type.Object(
  {
    model: Type.Optional(Type.String({ description: 'The served model name (GET /v1/models); defaults to it' })),
    messages: Type.Array(RequestMessage, { minItems: 1 }),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1, description: 'Deprecated alias of max_completion_tokens' })),
    max_completion_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    temperature: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 2,
        description: "0 = greedy; default from the model's generation_config.json",
      }),
    ),
    top_p: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    top_k: Type.Optional(Type.Integer({ minimum: -1, description: '0 or -1 = disabled' })),
    min_p: Type.Optional(Probability('Minimum probability relative to the most likely token')),
    seed: Type.Optional(Type.Integer()),
    stop: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String({ minLength: 1 }), { maxItems: MAX_STOP_SEQUENCES })]),
    ),
    stop_token_ids: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 64 })),
    ignore_eos: Type.Optional(Type.Boolean()),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CHOICES, default: 1 })),
    logprobs: Type.Optional(Type.Boolean({ default: false })),
    top_logprobs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_TOP_LOGPROBS, description: 'Needs logprobs: true' }),
    ),
    presence_penalty: Type.Optional(Penalty('OpenAI semantics, over generated tokens')),
    frequency_penalty: Type.Optional(Penalty('OpenAI semantics, over generated tokens')),
    repetition_penalty: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, description: 'Hugging Face semantics; 1 = off' }),
    ),
    logit_bias: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: Type.Number({ minimum: -100, maximum: 100 }),
          description: 'Token id (as a string) -> bias',
        },
      ),
    ),
    stream: Type.Optional(Type.Boolean({ default: false })),
    stream_options: Type.Optional(
      Type.Object({
        include_usage: Type.Optional(Type.Boolean()),
        continuous_usage_stats: Type.Optional(Type.Boolean()),
      }),
    ),
    structured_outputs: Type.Optional(
      Type.Object(
        {
          json: Type.Optional(JsonSchemaValue('A JSON Schema (object, or its JSON text) the output must match')),
          regex: Type.Optional(Type.String({ description: 'A regular expression the whole output must match' })),
          grammar: Type.Optional(
            Type.String({
              description: "An EBNF grammar (xgrammar's dialect, which reads llama.cpp GBNF), root rule 'root'",
            }),
          ),
          choice: Type.Optional(Type.Array(ChoiceString, { minItems: 1, maxItems: MAX_CHOICE_STRINGS })),
          json_object: Type.Optional(Type.Boolean({ description: 'Any JSON object' })),
        },
        {
          description: "vLLM's structured outputs: one of json, regex, grammar, choice, json_object",
          additionalProperties: true,
        },
      ),
    ),
    guided_json: Type.Optional(JsonSchemaValue('Older alias of structured_outputs.json')),
    guided_regex: Type.Optional(Type.String({ description: 'Older alias of structured_outputs.regex' })),
    guided_grammar: Type.Optional(Type.String({ description: 'Older alias of structured_outputs.grammar' })),
    guided_decoding_backend: Type.Optional(
      Type.String({ description: 'Accepted and ignored: the backend is always xgrammar' }),
    ),
    json_schema: Type.Optional(
      Type.Object({}, { additionalProperties: true, description: "llama.cpp's top-level JSON Schema constraint" }),
    ),
    grammar: Type.Optional(Type.String({ description: "llama.cpp's top-level GBNF grammar" })),
    guided_choice: Type.Optional(
      Type.Array(ChoiceString, {
        minItems: 1,
        maxItems: MAX_CHOICE_STRINGS,
        description: 'Older alias of structured_outputs.choice',
      }),
    ),
    response_format: Type.Optional(ResponseFormat),
    mm_processor_kwargs: Type.Optional(
      Type.Object(
        {
          min_pixels: Type.Optional(Type.Integer({ minimum: MIN_PIXELS, maximum: MAX_PIXELS })),
          max_pixels: Type.Optional(Type.Integer({ minimum: MIN_PIXELS, maximum: MAX_PIXELS })),
          fps: Type.Optional(
            Type.Number({ minimum: MIN_VIDEO_FPS, maximum: MAX_VIDEO_FPS, description: 'Video sampling rate' }),
          ),
        },
        { additionalProperties: false, description: 'Per-request preprocessing, clamped to the server limits' },
      ),
    ),
    cache_salt: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'Only requests with the same salt share prefix-cache entries',
      }),
    ),
    user: Type.Optional(Type.String()),
    tools: Type.Optional(Type.Array(Tool, { maxItems: MAX_TOOLS })),
    tool_choice: Type.Optional(ToolChoice),
    parallel_tool_calls: Type.Optional(
      Type.Boolean({ description: 'With required or auto: may the answer make several calls (default true)' }),
    ),
  },
  { title: 'CreateChatCompletionRequest', additionalProperties: true },
);
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>;

export const chatCompletionsSpec: RouteSpec = {
  method: 'POST',
  url: '/v1/chat/completions',
  operationId: 'createChatCompletion',
  summary: 'Chat completion with images and videos (OpenAI-compatible)',
  tag: 'OpenAI',
  authenticated: true,
  body: ChatCompletionRequest,
  responses: {
    '200': {
      description: 'The completion (JSON), or with stream: true a server-sent event stream of chunks',
      content: { 'application/json': ChatCompletion, 'text/event-stream': ChatCompletionChunk },
    },
    ...errorResponses([400, 401, 404, 413, 415, 422, 500, 503]),
  },
};
