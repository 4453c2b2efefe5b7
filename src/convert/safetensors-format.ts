// The safetensors file layout (https://github.com/huggingface/safetensors, "Format"):
//   8 bytes   N, the header length, unsigned 64-bit little-endian
//   N bytes   a UTF-8 JSON object: {"__metadata__"?: {string: string},
//             "<tensor>": {"dtype", "shape", "data_offsets": [begin, end]}, ...}
//             (writers pad it with spaces to a multiple of 8 bytes)
//   rest      the byte buffer; offsets are relative to its start, tensors are C-order little-endian.
// Parsing here is pure (bytes in, checked entries out) so it can be tested without files.
import { CheckpointError } from './checkpoint-error.js';

/** Bytes per element of every dtype the format defines; used to check sizes even of dtypes we cannot read. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
});

/** The floating-point dtypes this project reads and writes (Qwen2.5-VL checkpoints use BF16). */
export type FloatDtype = 'BF16' | 'F16' | 'F32';

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return dtype === 'BF16' || dtype === 'F16' || dtype === 'F32';
}

/**
 * The reference implementation refuses headers above 100 MB; a real one is a few hundred KB even
 * for 70B checkpoints, so anything larger is a corrupt length field, not a big model.
 */
export const MAX_HEADER_BYTES = 100_000_000;

/** The header JSON is padded so the byte buffer starts 8-byte aligned, as the reference writer does. */
export const HEADER_ALIGNMENT = 8;

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  /** Offsets relative to the start of the byte buffer. */
  begin: number;
  end: number;
}

export interface ParsedHeader {
  /** Absolute file offset of the byte buffer (8 + header length). */
  dataStart: number;
  /** Entries in file order (ascending `begin`). */
  entries: HeaderEntry[];
  metadata: Record<string, string>;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dimension) => product * dimension, 1);
}

function corrupt(file: string, detail: string, tensor?: string): CheckpointError {
  return new CheckpointError('header_corrupt', `${file}: corrupt safetensors header: ${detail}`, file, tensor);
}

/** Reads the 8-byte length prefix and checks it against the file size. */
export function readHeaderLength(prefix: Uint8Array, file: string, fileSize: number): number {
  if (prefix.byteLength < 8 || fileSize < 8) {
    throw new CheckpointError(
      'file_truncated',
      `${file}: file is ${fileSize} bytes, too short to hold a safetensors header`,
      file,
    );
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length < 2n || length > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(file, `header length ${length} is outside 2..${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  }
  const headerLength = Number(length);
  if (8 + headerLength > fileSize) {
    throw new CheckpointError(
      'file_truncated',
      `${file}: file is truncated: the header alone needs ${8 + headerLength} bytes but the file has ${fileSize}`,
      file,
    );
  }
  return headerLength;
}

function isSafeNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseEntry(file: string, name: string, value: unknown): HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw corrupt(file, `entry '${name}' is not an object`, name);
  const record = value as Record<string, unknown>;
  const { dtype, shape, data_offsets: offsets } = record;
  if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined) {
    throw corrupt(file, `tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`, name);
  }
  if (!Array.isArray(shape) || !shape.every(isSafeNonNegativeInteger)) {
    throw corrupt(file, `tensor '${name}' has invalid shape ${JSON.stringify(shape)}`, name);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSafeNonNegativeInteger)) {
    throw corrupt(file, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`, name);
  }
  const [begin, end] = offsets as [number, number];
  const expected = elementCount(shape) * DTYPE_BYTES[dtype];
  if (end < begin || end - begin !== expected) {
    throw corrupt(
      file,
      `tensor '${name}' ${dtype}[${shape.join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      name,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/**
 * Parses and checks the JSON header: every entry well-formed, sizes consistent with dtype and shape,
 * no two tensors overlapping, and every tensor inside the file (else the file is truncated).
 */
export function parseHeader(json: Uint8Array, file: string, fileSize: number): ParsedHeader {
  const dataStart = 8 + json.byteLength;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    throw corrupt(file, `header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw corrupt(file, 'header is not a JSON object');
  // Null-prototype records: names come from the file, and '__proto__' must stay an ordinary key.
  const metadata = Object.create(null) as Record<string, string>;
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw corrupt(file, '__metadata__ is not an object');
      for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
        if (typeof text !== 'string') throw corrupt(file, `__metadata__.${key} is not a string`);
        metadata[key] = text;
      }
      continue;
    }
    entries.push(parseEntry(file, name, value));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: HeaderEntry | undefined;
  for (const entry of entries) {
    if (previous !== undefined && entry.begin < previous.end) {
      throw corrupt(file, `tensors '${previous.name}' and '${entry.name}' overlap`, entry.name);
    }
    previous = entry;
  }
  const dataLength = fileSize - dataStart;
  const last = entries.at(-1);
  if (last !== undefined && last.end > dataLength) {
    throw new CheckpointError(
      'file_truncated',
      `${file}: file is truncated: tensor '${last.name}' ends at byte ${dataStart + last.end} but the file has ${fileSize} bytes ` +
        '(an interrupted download or copy; fetch the file again)',
      file,
      last.name,
    );
  }
  return { dataStart, entries, metadata };
}

/**
 * Serialises a header (length prefix included), padded with spaces so that the byte buffer starts
 * at a multiple of {@link HEADER_ALIGNMENT}. Entries are written in the given order.
 */
export function serializeHeader(
  entries: readonly HeaderEntry[],
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  const object = Object.create(null) as Record<string, unknown>;
  for (const entry of entries) {
    object[entry.name] = { dtype: entry.dtype, shape: entry.shape, data_offsets: [entry.begin, entry.end] };
  }
  // Metadata last, as the reference (Rust) writer places it: the same tensors then give the same bytes.
  if (Object.keys(metadata).length > 0) object.__metadata__ = metadata;
  const json = new TextEncoder().encode(JSON.stringify(object));
  const padded = Math.ceil((8 + json.byteLength) / HEADER_ALIGNMENT) * HEADER_ALIGNMENT - 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return bytes;
}
