// The one base of every error this project throws: a stable string `code` that callers switch on
// (never the message), a message written for whoever will read it, and an optional `cause` kept
// for logs. Constructors take (code, message, options) in that order; a class with a single code
// fixes it and takes (message, options). Extra fields a class carries go in its options.
export interface ShotvlErrorOptions {
  cause?: unknown;
}

export class ShotvlError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options: ShotvlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}
