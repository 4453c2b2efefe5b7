// Appends initializer bytes to an ONNX external data file (`<model>.onnx_data`) as the converter
// produces them, so a multi-gigabyte model is written tensor by tensor with bounded memory.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Offsets are page-aligned so onnxruntime can memory-map the weights instead of copying them. */
export const EXTERNAL_DATA_ALIGNMENT = 4096;

export interface ExternalRange {
  location: string;
  offset: number;
  length: number;
}

export class ExternalWeightFile {
  private descriptor: number | undefined;
  private position = 0;

  constructor(
    private readonly directory: string,
    readonly fileName: string,
  ) {}

  get byteLength(): number {
    return this.position;
  }

  get isEmpty(): boolean {
    return this.position === 0;
  }

  get path(): string {
    return join(this.directory, this.fileName);
  }

  append(bytes: Uint8Array): ExternalRange {
    if (this.descriptor === undefined) this.descriptor = openSync(this.path, 'w');
    const padding = (EXTERNAL_DATA_ALIGNMENT - (this.position % EXTERNAL_DATA_ALIGNMENT)) % EXTERNAL_DATA_ALIGNMENT;
    if (padding > 0) {
      writeSync(this.descriptor, new Uint8Array(padding), 0, padding, this.position);
      this.position += padding;
    }
    const offset = this.position;
    let written = 0;
    while (written < bytes.byteLength) {
      written += writeSync(this.descriptor, bytes, written, bytes.byteLength - written, offset + written);
    }
    this.position += bytes.byteLength;
    return { location: this.fileName, offset, length: bytes.byteLength };
  }

  close(): void {
    if (this.descriptor !== undefined) closeSync(this.descriptor);
    this.descriptor = undefined;
  }
}
