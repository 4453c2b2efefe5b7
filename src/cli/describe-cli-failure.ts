// One line for the errors a user can cause from the command line (bad media, too long a prompt),
// without a stack; undefined for anything else (a bug, which keeps its stack).
import { EngineError } from '../runtime/engine/engine-errors.js';
import { MediaError } from '../media/media-errors.js';

export function describeCliFailure(error: unknown): string | undefined {
  if (error instanceof EngineError || error instanceof MediaError) return error.message;
  return undefined;
}
