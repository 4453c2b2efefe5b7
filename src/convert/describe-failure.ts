// Turns the converter's typed errors into the one line the command line prints. Unknown errors
// return undefined (they are bugs and keep their stack).
import { CheckpointError } from './checkpoint-error.js';
import { ConversionError } from './conversion-error.js';
import { MissingTensorError, TensorShapeError } from './tensor-source.js';

export function describeConversionFailure(error: unknown): string | undefined {
  if (error instanceof CheckpointError || error instanceof ConversionError) return error.message;
  if (error instanceof MissingTensorError || error instanceof TensorShapeError) return error.message;
  if (error instanceof Error && 'code' in error && (error.code === 'EACCES' || error.code === 'EROFS' || error.code === 'ENOSPC')) {
    const path = 'path' in error ? ` ${String(error.path)}` : '';
    return `cannot write${path}: ${error.code === 'ENOSPC' ? 'the disk is full' : 'permission denied'}`;
  }
  return undefined;
}
