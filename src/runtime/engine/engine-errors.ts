// Typed failures of the engine. The HTTP layer maps each code to a status and an OpenAI error
// body; messages are written for API users and never carry library text.

export type EngineErrorCode =
  | 'overloaded'
  | 'draining'
  | 'not_ready'
  | 'context_length_exceeded'
  | 'kv_budget_exceeded'
  | 'invalid_request'
  | 'media_invalid'
  | 'engine_failed';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details: { retryAfterSeconds?: number; param?: string; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** vLLM's wording, which clients and evaluators already parse. */
export function contextLengthMessage(
  maxModelLength: number,
  requested: number,
  promptTokens: number,
  completionTokens: number,
): string {
  return (
    `This model's maximum context length is ${maxModelLength} tokens. However, you requested ${requested} tokens ` +
    `(${promptTokens} in the messages, ${completionTokens} in the completion). Please reduce the length of the messages or completion.`
  );
}
