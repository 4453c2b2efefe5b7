// OpenAI's chat completion response and stream chunk shapes as this server sends them (tool calls,
// log-probabilities, usage, system_fingerprint); the request is in schema.ts.
import { Type, type Static } from '@sinclair/typebox';

const TopLogprob = Type.Object({
  token: Type.String(),
  logprob: Type.Number(),
  bytes: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
});
export const TokenLogprob = Type.Object(
  {
    token: Type.String(),
    logprob: Type.Number(),
    bytes: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
    top_logprobs: Type.Array(TopLogprob),
  },
  { title: 'ChatCompletionTokenLogprob' },
);
export const ChoiceLogprobs = Type.Object(
  { content: Type.Union([Type.Array(TokenLogprob), Type.Null()]), refusal: Type.Null() },
  { title: 'ChatCompletionChoiceLogprobs' },
);
const FinishReason = Type.Union([Type.Literal('stop'), Type.Literal('length'), Type.Literal('tool_calls')]);

const ResponseToolCall = Type.Object({
  id: Type.String({ description: 'call_...' }),
  type: Type.Literal('function'),
  function: Type.Object({ name: Type.String(), arguments: Type.String({ description: 'JSON text' }) }),
});

const ChunkToolCall = Type.Object({
  index: Type.Integer(),
  id: Type.Optional(Type.String()),
  type: Type.Optional(Type.Literal('function')),
  function: Type.Object({ name: Type.Optional(Type.String()), arguments: Type.Optional(Type.String()) }),
});

export const Usage = Type.Object(
  {
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    total_tokens: Type.Integer(),
    prompt_tokens_details: Type.Object({
      cached_tokens: Type.Integer({ description: 'Prompt tokens served from the prefix cache' }),
    }),
  },
  { title: 'CompletionUsage' },
);
export type Usage = Static<typeof Usage>;

export const ChatCompletion = Type.Object(
  {
    id: Type.String({ description: 'chatcmpl-...' }),
    object: Type.Literal('chat.completion'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object({
        index: Type.Integer(),
        message: Type.Object({
          role: Type.Literal('assistant'),
          content: Type.Union([Type.String(), Type.Null()]),
          refusal: Type.Null(),
          tool_calls: Type.Optional(Type.Array(ResponseToolCall)),
        }),
        logprobs: Type.Union([ChoiceLogprobs, Type.Null()]),
        finish_reason: FinishReason,
      }),
    ),
    system_fingerprint: Type.String({
      description: 'The backend configuration: model, weights, load format, devices, API version',
    }),
    usage: Usage,
  },
  { title: 'CreateChatCompletionResponse' },
);
export type ChatCompletion = Static<typeof ChatCompletion>;

export const ChatCompletionChunk = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('chat.completion.chunk'),
    created: Type.Integer(),
    model: Type.String(),
    choices: Type.Array(
      Type.Object({
        index: Type.Integer(),
        delta: Type.Object({
          role: Type.Optional(Type.Literal('assistant')),
          content: Type.Optional(Type.String()),
          tool_calls: Type.Optional(Type.Array(ChunkToolCall)),
        }),
        logprobs: Type.Union([ChoiceLogprobs, Type.Null()]),
        finish_reason: Type.Union([FinishReason, Type.Null()]),
      }),
    ),
    system_fingerprint: Type.String(),
    usage: Type.Optional(
      Type.Union([Usage, Type.Null()], {
        description:
          'With stream_options.include_usage: null, except in the last chunk; with continuous_usage_stats: the usage so far in every chunk',
      }),
    ),
  },
  {
    title: 'CreateChatCompletionStreamResponse',
    description:
      'One server-sent event `data: <chunk>`; the stream ends with `data: [DONE]`. An error after the stream began is sent as `data: {"error": ...}`.',
  },
);
export type ChatCompletionChunk = Static<typeof ChatCompletionChunk>;
