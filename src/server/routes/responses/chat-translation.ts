// A Responses API request is the same work as a chat completion: it is translated into one, so both
// share validation, media handling, sampling and (through response_format) structured output. What
// only the Responses API has is checked here: fields that need stored state are refused, since
// silently dropping previous_response_id would answer a question the client did not ask.
import { ApiError } from '../../errors.js';
import type { ChatCompletionRequest } from '../chat-completions/schema.js';
import type { InputMessage, InputPart, ResponsesRequest } from './schema.js';

type WireMessage = ChatCompletionRequest['messages'][number];
type WirePart = Exclude<WireMessage['content'], string | null | undefined>[number];

function stateful(feature: string, param: string): ApiError {
  return new ApiError('invalid_request', {
    message: `${feature} needs stored responses; this server is stateless (store: false). Send the whole conversation in 'input' instead.`,
    param,
  });
}

function checkStatelessFields(body: ResponsesRequest): void {
  if (body.previous_response_id !== undefined) throw stateful("'previous_response_id'", 'previous_response_id');
  if (body.conversation !== undefined) throw stateful("'conversation'", 'conversation');
  if (body.background === true) throw stateful('Background responses', 'background');
  if (body.tools !== undefined && body.tools.length > 0) {
    throw new ApiError('unsupported_feature', {
      values: { feature: 'Tools on /v1/responses (use /v1/chat/completions)' },
      param: 'tools',
    });
  }
}

function chatPart(part: InputPart): WirePart {
  if (part.type === 'input_image') {
    return {
      type: 'image_url',
      image_url: part.detail === undefined ? part.image_url : { url: part.image_url, detail: part.detail },
    };
  }
  return { type: 'text', text: part.text };
}

function chatMessage(message: InputMessage): WireMessage {
  const content = typeof message.content === 'string' ? message.content : message.content.map(chatPart);
  return { role: message.role, content };
}

function responseFormat(body: ResponsesRequest): ChatCompletionRequest['response_format'] {
  const format = body.text?.format;
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, schema, description, strict } = format;
  // Chat's response_format carries json_schema as an extra field (its schema is open).
  const jsonSchema: Record<string, unknown> = {
    type: 'json_schema',
    json_schema: {
      name,
      schema,
      ...(description === undefined ? {} : { description }),
      ...(strict === undefined || strict === null ? {} : { strict }),
    },
  };
  return jsonSchema as ChatCompletionRequest['response_format'];
}

/** The chat completion that does this response's work; throws ApiError for what it cannot do. */
export function toChatRequest(body: ResponsesRequest): ChatCompletionRequest {
  checkStatelessFields(body);
  const input = typeof body.input === 'string' ? [{ role: 'user' as const, content: body.input }] : body.input;
  const messages: WireMessage[] = [
    ...(body.instructions === undefined ? [] : [{ role: 'system' as const, content: body.instructions }]),
    ...input.map(chatMessage),
  ];
  const chat: ChatCompletionRequest = { messages };
  if (body.model !== undefined) chat.model = body.model;
  if (body.max_output_tokens !== undefined) chat.max_completion_tokens = body.max_output_tokens;
  if (body.temperature !== undefined) chat.temperature = body.temperature;
  if (body.top_p !== undefined) chat.top_p = body.top_p;
  if (body.seed !== undefined) chat.seed = body.seed;
  if (body.top_logprobs !== undefined) {
    chat.logprobs = true;
    chat.top_logprobs = body.top_logprobs;
  }
  const format = responseFormat(body);
  if (format !== undefined) chat.response_format = format;
  if (body.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

/**
 * Rewrites the `param` of an error raised while planning or running the translated chat request so
 * that it names the Responses field: `messages[3].content[1]` -> `input[2].content[1]` (after an
 * instructions message), `response_format[.json_schema]` -> `text.format` (the Responses API has the
 * schema's fields on the format itself), `max_completion_tokens` -> `max_output_tokens`.
 */
export function responsesParam(param: string | null | undefined, body: ResponsesRequest): string | null | undefined {
  if (param === null || param === undefined) return param;
  for (const prefix of ['response_format.json_schema', 'response_format']) {
    if (param.startsWith(prefix)) return `text.format${param.slice(prefix.length)}`;
  }
  if (param === 'max_completion_tokens') return 'max_output_tokens';
  const match = /^messages\[(\d+)\](.*)$/.exec(param);
  if (match === null) return param === 'messages' ? 'input' : param;
  const offset = body.instructions === undefined ? 0 : 1;
  const index = Number(match[1]) - offset;
  if (index < 0) return 'instructions';
  return typeof body.input === 'string' ? 'input' : `input[${index}]${match[2]}`;
}
