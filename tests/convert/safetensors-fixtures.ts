// Hand-built safetensors files for tests, written without the project's writer so that reader
// tests do not depend on it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FixtureTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Lays tensors out back to back; `header` may override the JSON (to corrupt it). */
export function buildSafetensors(tensors: FixtureTensor[], header?: Record<string, unknown>): Uint8Array {
  const object: Record<string, unknown> = {};
  let offset = 0;
  for (const tensor of tensors) {
    object[tensor.name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + tensor.data.byteLength],
    };
    offset += tensor.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header ?? object));
  const bytes = new Uint8Array(8 + json.byteLength + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  bytes.set(json, 8);
  let position = 8 + json.byteLength;
  for (const tensor of tensors) {
    bytes.set(tensor.data, position);
    position += tensor.data.byteLength;
  }
  return bytes;
}

export function float32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export function uint16Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}

export async function withTemporaryFolder<T>(body: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'shotvl-convert-'));
  try {
    return await body(folder);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
