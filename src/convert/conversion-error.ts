/** A conversion failure with a stable code and a message that names the file or tensor. */
export type ConversionErrorCode =
  'config_missing' | 'config_invalid' | 'output_exists' | 'output_unwritable' | 'source_invalid';

export class ConversionError extends Error {
  constructor(
    readonly code: ConversionErrorCode,
    message: string,
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ConversionError';
  }
}
