// The API's error envelope `{"error":{"message","type","param","code"}}` as an Error the views can
// show as it is: the server's own message, never a generic "request failed" when it sent one.
// No DOM here: tests run it in Node.

export class ApiRequestError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string | undefined = undefined,
    readonly param: string | undefined = undefined,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

interface Envelope {
  error?: { message?: unknown; code?: unknown; param?: unknown };
}

/** The envelope's fields, or undefined when `value` is not an error envelope. */
export function envelopeError(value: unknown, status: number): ApiRequestError | undefined {
  const error = (value as Envelope | null)?.error;
  if (typeof error !== 'object' || error === null || typeof error.message !== 'string') return undefined;
  return new ApiRequestError(
    error.message,
    status,
    typeof error.code === 'string' ? error.code : undefined,
    typeof error.param === 'string' ? error.param : undefined,
  );
}

/** An error response's body as an ApiRequestError: the envelope's message, else the status alone. */
export function errorFromResponseText(status: number, text: string): ApiRequestError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return (
    envelopeError(parsed, status) ??
    new ApiRequestError(`The server answered ${status} without an error message.`, status)
  );
}

export const UNREACHABLE_MESSAGE = 'The server could not be reached. Is it still running?';
