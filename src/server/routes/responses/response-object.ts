// The Responses API's `response` object, built up from engine events: one assistant message with
// one output_text part (n is always 1 here). The stream and the JSON answer share this builder, so
// the object in `response.completed` equals the non-streaming body for the same output.
import { randomUUID } from 'node:crypto';
import type { GenerationEvent, TokenLogprob } from '../../../runtime/engine/engine-api.js';
import { ApiError } from '../../errors.js';
import { checkedFinishReason, UsageCounter } from '../chat-completions/completion-response.js';
import type { OutputMessage, OutputText, ResponseObject, ResponsesRequest, TextFormat } from './schema.js';

const hexId = (): string => randomUUID().replaceAll('-', '');

/** OpenAI's LogProb of an output_text part (with top_logprobs' bytes). */
export interface OutputLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

/** What one engine event adds to the answer: text, and its tokens' log-probabilities when asked for. */
export interface OutputDelta {
  text: string;
  logprobs: OutputLogprob[];
}

function outputLogprob(item: TokenLogprob): OutputLogprob {
  return {
    token: item.token,
    logprob: item.logprob,
    bytes: item.bytes,
    top_logprobs: item.top.map((top) => ({ token: top.token, logprob: top.logprob, bytes: top.bytes })),
  };
}

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
  private readonly logprobs: OutputLogprob[] = [];
  private finish: 'stop' | 'length' | undefined;

  constructor(
    private readonly body: ResponsesRequest,
    private readonly settings: ResponseSettings,
  ) {}

  /** Takes one engine event; returns what it adds to the answer (possibly nothing). */
  observe(event: GenerationEvent): OutputDelta {
    this.counter.observe(event);
    if (event.type === 'delta') {
      const logprobs = (event.logprobs ?? []).map(outputLogprob);
      this.text += event.text;
      this.logprobs.push(...logprobs);
      return { text: event.text, logprobs };
    }
    if (event.type === 'finish') this.finish = checkedFinishReason(event.reason, this.settings.signal);
    return { text: '', logprobs: [] };
  }

  get outputText(): string {
    return this.text;
  }

  textPart(): OutputText {
    return { type: 'output_text', text: this.text, annotations: [], logprobs: this.logprobs };
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
