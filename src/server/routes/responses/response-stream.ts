// Engine events -> the Responses API's typed server-sent events, in OpenAI's order:
// response.created, response.in_progress, response.output_item.added, response.content_part.added,
// response.output_text.delta (one per piece of text), response.output_text.done,
// response.content_part.done, response.output_item.done, then response.completed (or
// response.incomplete when max_output_tokens cut the answer). Each event is `event: <type>` plus
// `data: <json>` with a sequence_number; unlike chat completions there is no `data: [DONE]`.
// A failure after the first byte is sent as an `error` event.
import type { GenerationEvent } from '../../../runtime/engine/engine-api.js';
import { streamFailure, type StreamSettings } from '../../chat-generation.js';
import type { ResponseBuilder } from './response-object.js';

export interface ResponseStreamContext extends StreamSettings {
  /** Maps an error's param onto the Responses request's fields. */
  renameError: (error: unknown) => unknown;
}

export async function* streamResponse(
  events: AsyncIterable<GenerationEvent>,
  builder: ResponseBuilder,
  context: ResponseStreamContext,
): AsyncGenerator<string> {
  let sequence = 0;
  const send = (type: string, fields: Record<string, unknown>): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: sequence++ })}\n\n`;
  const where = { item_id: builder.messageId, output_index: 0, content_index: 0 };
  try {
    yield send('response.created', { response: builder.response('in_progress') });
    yield send('response.in_progress', { response: builder.response('in_progress') });
    yield send('response.output_item.added', { output_index: 0, item: builder.message('in_progress') });
    yield send('response.content_part.added', {
      ...where,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    });
    for await (const event of events) {
      const { text, logprobs } = builder.observe(event);
      if (text === '' && logprobs.length === 0) continue;
      // A delta's logprobs are OpenAI's ResponseLogProb: no bytes.
      const deltaLogprobs = logprobs.map(({ token, logprob, top_logprobs }) => ({
        token,
        logprob,
        top_logprobs: top_logprobs.map((top) => ({ token: top.token, logprob: top.logprob })),
      }));
      yield send('response.output_text.delta', { ...where, delta: text, logprobs: deltaLogprobs });
    }
    const status = builder.finalStatus();
    yield send('response.output_text.done', {
      ...where,
      text: builder.outputText,
      logprobs: builder.textPart().logprobs,
    });
    yield send('response.content_part.done', { ...where, part: builder.textPart() });
    yield send('response.output_item.done', { output_index: 0, item: builder.message(status) });
    const type = status === 'completed' ? 'response.completed' : 'response.incomplete';
    yield send(type, { response: builder.response('final') });
  } catch (error) {
    const failure = streamFailure(context.renameError(error), context);
    if (failure === undefined) return;
    yield send('error', { code: failure.error.code, message: failure.error.message, param: failure.error.param });
  }
}
