// How the grammar worker's calls fail, by whose fault: the grammar itself (not valid, or so costly
// that it ran past the time limit: the request's fault, a 400) or the worker (it crashed or is
// restarting: the server's, a 503 to retry). request-grammar.ts turns them into engine errors.
import { ShotvlError } from '../../util/shotvl-error.js';

/** The grammar itself is not valid (a parse error, an unsatisfiable schema): the caller's fault. */
export class GrammarCompileError extends ShotvlError<'invalid_grammar'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_grammar', message, options);
  }
}

/** Compiling the grammar, or one token mask of it, took longer than the limit; the worker was replaced. */
export class GrammarTimeoutError extends ShotvlError<'grammar_timeout'> {
  constructor(
    readonly seconds: number,
    /** What ran past the limit: a compile (at admission) or a token mask (while generating). */
    readonly during: 'compile' | 'mask',
  ) {
    const what = during === 'compile' ? 'compiling the grammar' : 'computing a token mask of the grammar';
    super('grammar_timeout', `${what} took longer than ${seconds} s`);
  }
}

/** The grammar worker died (or is waiting to restart after crashes): not the request's fault. */
export class GrammarWorkerError extends ShotvlError<'grammar_worker_failed'> {
  constructor(
    message: string,
    /** When a retry may find a worker again. */
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('grammar_worker_failed', message, options);
  }
}
