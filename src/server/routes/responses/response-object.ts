// The Responses API's `response` object, built up from engine events: one assistant message with
// one output_text part (n is always 1 here). The stream and the JSON answer share this builder, so
// the object in `response.completed` equals the non-streaming body for the same output.
import { randomUUID } from 'node:crypto';
import type { GenerationEvent } from '../../../runtime/engine/engine-api.js';
import { ApiError } from '../../errors.js';
import { checkedFinishReason, UsageCounter } from '../chat-completions/completion-response.js';
import type { OutputMessage, OutputText, ResponseObject, ResponsesRequest, TextFormat } from './schema.js';

const hexId = (): string => randomUUID().replaceAll('-', '');

export interface ResponseSettings {
  model: string;
  temperature: number;
  topP: number;
  signal: AbortSignal;
}

export class ResponseBuilder {
  readonly id = `resp_${hexId()}`;
  readonly messageId = `msg_${hexId()}`;
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly counter = new UsageCounter();
  private text = '';
  private finish: 'stop' | 'length' | undefined;

  constructor(
    private readonly body: ResponsesRequest,
    private readonly settings: ResponseSettings,
  ) {}

  /** Takes one engine event; returns the text it adds (possibly ''). */
  observe(event: GenerationEvent): string {
    this.counter.observe(event);
    if (event.type === 'delta') {
      this.text += event.text;
      return event.text;
    }
    if (event.type === 'finish') this.finish = checkedFinishReason(event.reason, this.settings.signal);
    return '';
  }

  get outputText(): string {
    return this.text;
  }

  textPart(): OutputText {
    return { type: 'output_text', text: this.text, annotations: [], logprobs: [] };
  }

  message(status: OutputMessage['status']): OutputMessage {
    return {
      id: this.messageId,
      type: 'message',
      role: 'assistant',
      status,
      content: status === 'in_progress' ? [] : [this.textPart()],
    };
  }

  /** The message's final status: incomplete when max_output_tokens cut it (or no reason came). */
  finalStatus(): 'completed' | 'incomplete' {
    return this.finish === 'stop' ? 'completed' : 'incomplete';
  }

  /** The response object; `in_progress` before any output, else the final one with usage. */
  response(status: 'in_progress' | 'final'): ResponseObject {
    const done = status === 'final';
    const final = this.finalStatus();
    const usage = this.counter.total();
    const format: TextFormat = this.body.text?.format ?? { type: 'text' };
    const response: ResponseObject = {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      completed_at: done ? Math.floor(Date.now() / 1000) : null,
      status: done ? final : 'in_progress',
      error: null,
      incomplete_details: done && final === 'incomplete' ? { reason: 'max_output_tokens' } : null,
      instructions: this.body.instructions ?? null,
      max_output_tokens: this.body.max_output_tokens ?? null,
      model: this.settings.model,
      output: done ? [this.message(final)] : [],
      output_text: done ? this.text : '',
      parallel_tool_calls: this.body.parallel_tool_calls ?? true,
      previous_response_id: null,
      store: false,
      temperature: this.settings.temperature,
      top_p: this.settings.topP,
      text: { format },
      tool_choice: 'auto',
      tools: [],
      truncation: 'disabled',
      metadata: this.body.metadata ?? {},
    };
    // OpenAI's schema types usage as an object: absent until the response is done.
    if (done) {
      response.usage = {
        input_tokens: usage.prompt_tokens,
        input_tokens_details: { cached_tokens: usage.prompt_tokens_details.cached_tokens, cache_write_tokens: 0 },
        output_tokens: usage.completion_tokens,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: usage.total_tokens,
      };
    }
    return response;
  }
}

/** Reads every event and returns the final response object. */
export async function collectResponse(
  events: AsyncIterable<GenerationEvent>,
  builder: ResponseBuilder,
  signal: AbortSignal,
): Promise<ResponseObject> {
  for await (const event of events) builder.observe(event);
  if (signal.aborted) throw new ApiError('client_closed_request');
  return builder.response('final');
}
