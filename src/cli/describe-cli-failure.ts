// One line for the errors a user can cause from the command line (bad media, too long a prompt),
// without a stack; undefined for anything else (a bug, which keeps its stack).
import { userFacingMessage } from '../server/errors.js';

export function describeCliFailure(error: unknown): string | undefined {
  return userFacingMessage(error);
}
