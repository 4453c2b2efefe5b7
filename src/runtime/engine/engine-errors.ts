// Typed failures of the engine. The HTTP layer maps each code to a status and an OpenAI error
// body; messages are written for API users and never carry library text.
import { ShotvlError } from '../../util/shotvl-error.js';

export type EngineErrorCode =
  | 'overloaded'
  | 'draining'
  | 'not_ready'
  | 'context_length_exceeded'
  | 'kv_budget_exceeded'
  | 'invalid_request'
  | 'media_invalid'
  | 'engine_failed'
  /** The grammar worker crashed or is restarting: the request's grammar could not be served (503). */
  | 'grammar_unavailable';

export class EngineError extends ShotvlError<EngineErrorCode> {
  constructor(
    code: EngineErrorCode,
    message: string,
    readonly details: { retryAfterSeconds?: number; param?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
  }
}

/**
 * vLLM's wording, which clients and evaluators already parse. Without an explicit max_tokens the
 * completion's share is not the client's number (it is what was left, possibly negative), so the
 * message then names the prompt alone, as vLLM and OpenAI do for an over-long input.
 */
export function contextLengthMessage(
  maxModelLength: number,
  promptTokens: number,
  requestedCompletionTokens: number | undefined,
): string {
  if (requestedCompletionTokens === undefined) {
    return (
      `This model's maximum context length is ${maxModelLength} tokens. However, your messages resulted in ` +
      `${promptTokens} tokens, which leaves no room for a completion. Please reduce the length of the messages.`
    );
  }
  const requested = promptTokens + requestedCompletionTokens;
  return (
    `This model's maximum context length is ${maxModelLength} tokens. However, you requested ${requested} tokens ` +
    `(${promptTokens} in the messages, ${requestedCompletionTokens} in the completion). Please reduce the length of the messages or completion.`
  );
}

export function shuttingDown(): EngineError {
  return new EngineError('draining', 'the server is shutting down', { retryAfterSeconds: 5 });
}

/** Load shedding; clients retry after about the time the waiting requests take to start. */
export function overloadedError(why: string, waiting: number, maxRunning: number): EngineError {
  const seconds = Math.max(1, Math.ceil(waiting / Math.max(1, maxRunning)));
  return new EngineError('overloaded', `the server is overloaded: ${why}`, { retryAfterSeconds: seconds });
}

/**
 * Which media item of a request (0-based, in message and part order) an error of its preparation
 * came from, so the HTTP layer can name the part in `param` (issue 17: it said null). Recorded on
 * the error itself, not enumerable, whatever its class.
 */
export function markMediaPart(error: unknown, index: number): unknown {
  if (typeof error === 'object' && error !== null && !('mediaPartIndex' in error))
    Object.defineProperty(error, 'mediaPartIndex', { value: index, enumerable: false });
  return error;
}

export function mediaPartIndexOf(error: unknown): number | undefined {
  const index = (error as { mediaPartIndex?: unknown } | null)?.mediaPartIndex;
  return typeof index === 'number' ? index : undefined;
}

/** A request whose prompt + max_tokens exceeds the whole KV budget: the client's to shorten. */
export function neverFits(detail: string): EngineError {
  return new EngineError('kv_budget_exceeded', `the request can never fit in the KV cache: ${detail}`, {
    param: 'max_tokens',
  });
}
