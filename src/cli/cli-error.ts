import { ShotvlError } from '../util/shotvl-error.js';
/** An error the command line reports as one line on stderr, with a non-zero exit code and no stack. */
export class CliError extends ShotvlError<'cli_failed'> {
  constructor(
    message: string,
    /** The process exit code: 2 for usage errors, 130 when interrupted, 1 otherwise. */
    readonly exitCode = 1,
  ) {
    super('cli_failed', message);
  }
}
