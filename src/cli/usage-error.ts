import { CliError } from './cli-error.js';

/** Usage errors (a wrong flag, a missing argument) exit with 2 and no stack. */
export function usageError(message: string, help?: string): CliError {
  return new CliError(help === undefined ? message : `${message}\n\n${help}`, 2);
}

/**
 * Runs node:util parseArgs and turns its errors (unknown option, missing value: TypeErrors) into
 * usage errors, followed by the command's help when given.
 */
export function parseOrExplain<T>(parse: () => T, help?: string): T {
  try {
    return parse();
  } catch (error) {
    throw usageError((error as Error).message, help);
  }
}
