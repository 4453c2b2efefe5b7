// Raw little-endian arrays as the golden sets store them: a `.bin` file with no header, described by
// `{file, dtype, shape}` in a meta.json (tests/fixtures/golden/README.md §1).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type RawDtype = 'float32' | 'int64' | 'uint8';

export interface RawArrayRef {
  file: string;
  dtype: RawDtype;
  shape: number[];
  note?: string;
}

export type RawArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'uint8'; shape: number[]; data: Uint8Array };

export function isRawArrayRef(value: unknown): value is RawArrayRef {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.file === 'string' && typeof candidate.dtype === 'string' && Array.isArray(candidate.shape);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

/** Reads one array; `baseDir` is the folder the `file` path is relative to. */
export function readRawArray(baseDir: string, ref: RawArrayRef): RawArray {
  const bytes = readFileSync(join(baseDir, ref.file));
  const count = elementCount(ref.shape);
  const width = ref.dtype === 'uint8' ? 1 : ref.dtype === 'float32' ? 4 : 8;
  if (bytes.byteLength !== count * width) {
    throw new Error(
      `${ref.file}: expected ${count * width} bytes for ${ref.dtype}[${ref.shape.join(',')}], found ${bytes.byteLength}`,
    );
  }
  // Copy into a fresh, aligned buffer: Node's pooled Buffers may start at an unaligned offset.
  const aligned = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(aligned).set(bytes);
  switch (ref.dtype) {
    case 'float32':
      return { dtype: 'float32', shape: ref.shape, data: new Float32Array(aligned) };
    case 'int64':
      return { dtype: 'int64', shape: ref.shape, data: new BigInt64Array(aligned) };
    case 'uint8':
      return { dtype: 'uint8', shape: ref.shape, data: new Uint8Array(aligned) };
  }
}

export function readFloat32(baseDir: string, ref: RawArrayRef): Float32Array {
  const array = readRawArray(baseDir, ref);
  if (array.dtype !== 'float32') throw new Error(`${ref.file}: expected float32, found ${array.dtype}`);
  return array.data;
}

export function readInt64AsNumbers(baseDir: string, ref: RawArrayRef): number[] {
  const array = readRawArray(baseDir, ref);
  if (array.dtype !== 'int64') throw new Error(`${ref.file}: expected int64, found ${array.dtype}`);
  return Array.from(array.data, (value) => Number(value));
}
