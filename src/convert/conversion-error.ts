import { ShotvlError } from '../util/shotvl-error.js';
/** A conversion failure with a stable code and a message that names the file or tensor. */
export type ConversionErrorCode =
  'config_missing' | 'config_invalid' | 'output_exists' | 'output_unwritable' | 'source_invalid';

export class ConversionError extends ShotvlError<ConversionErrorCode> {
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: ConversionErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.file = options.file;
  }
}
