// Turns the converter's typed errors into the one line the command line prints: what is wrong, and
// the file or tensor it is about. Unknown errors return undefined (they are bugs and keep their
// stack).
import { CheckpointError } from './checkpoint-error.js';
import { ConversionError } from './conversion-error.js';
import { ModelConfigError } from '../model-format/model-config.js';
import { MissingTensorError, TensorShapeError } from './tensor-source.js';

export interface FailureContext {
  /** The checkpoint folder being converted, named when the error names only a file or tensor in it. */
  checkpointDir?: string;
}

const WRITE_FAILURES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'the disk is full',
  EDQUOT: 'disk quota exceeded',
};

export function describeConversionFailure(error: unknown, context: FailureContext = {}): string | undefined {
  const message = describe(error, context);
  // One line: some messages quote library text that may hold newlines.
  return message?.replace(/\s*\n\s*/g, ' ');
}

function describe(error: unknown, context: FailureContext): string | undefined {
  // config.json errors already name the file (read-model-config.ts).
  if (error instanceof ConversionError || error instanceof ModelConfigError) return error.message;
  if (error instanceof CheckpointError || error instanceof MissingTensorError || error instanceof TensorShapeError) {
    return withFolder(error.message, context.checkpointDir);
  }
  if (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    WRITE_FAILURES[error.code] !== undefined
  ) {
    const path = 'path' in error && error.path !== undefined ? ` ${String(error.path)}` : ' the output folder';
    return `cannot write${path}: ${WRITE_FAILURES[error.code]}`;
  }
  return undefined;
}

function withFolder(message: string, folder: string | undefined): string {
  if (folder === undefined || message.includes(folder)) return message;
  return `${message} (checkpoint ${folder})`;
}
