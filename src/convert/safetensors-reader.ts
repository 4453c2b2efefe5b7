// Reads tensors from a Hugging Face checkpoint folder: one `model.safetensors`, or shards listed by
// `model.safetensors.index.json`. Only headers are read when the folder is opened; each tensor is
// then read from its own byte range through a file handle, so a 7.5 GB checkpoint never has to fit
// in memory (or in one Node Buffer).
import { open, readFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, join } from 'node:path';
import { CheckpointError } from './checkpoint-error.js';
import { bfloat16ToFloat32, float16ToFloat32 } from './float-conversion.js';
import { isFloatDtype, parseHeader, readHeaderLength } from './safetensors-format.js';
import type { FloatDtype } from './safetensors-format.js';

export const SINGLE_FILE_NAME = 'model.safetensors';
export const INDEX_FILE_NAME = 'model.safetensors.index.json';

/** Reads are split into pieces of this size: Node caps one read near 2 GiB, and progress stays smooth. */
const READ_CHUNK_BYTES = 64 * 1024 * 1024;

export interface TensorInfo {
  dtype: FloatDtype;
  shape: number[];
  /** File name inside the checkpoint folder. */
  file: string;
  byteLength: number;
}

interface TensorLocation extends TensorInfo {
  /** Absolute offset of the tensor's first byte in its file. */
  offset: number;
}

export interface CheckpointReader {
  /** The folder the checkpoint was opened from. */
  readonly folder: string;
  /** The weight files, in the order they were opened. */
  readonly files: readonly string[];
  /** Tensor names, sorted. */
  tensorNames(): string[];
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** The tensor's stored bytes (little-endian, in its own dtype). */
  readBytes(name: string): Promise<Uint8Array>;
  /** The tensor widened to float32 (exact for BF16 and F16). */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Opens a checkpoint folder and checks every header (sizes, offsets, dtypes, no overlap, no
 * truncation) before any tensor is read, so a broken download fails at once with the file named.
 */
export async function openCheckpoint(folder: string): Promise<CheckpointReader> {
  if (endianness() !== 'LE')
    throw new Error('safetensors data is little-endian; this reader supports little-endian hosts only');
  const folderStat = await stat(folder).catch(() => undefined);
  if (folderStat === undefined || !folderStat.isDirectory()) {
    throw new CheckpointError(
      'checkpoint_not_found',
      `checkpoint folder ${folder} does not exist or is not a folder`,
      folder,
    );
  }
  const files = await listWeightFiles(folder);
  const handles = new Map<string, FileHandle>();
  const tensors = new Map<string, TensorLocation>();
  try {
    for (const file of files.names) {
      const handle = await openShard(folder, file, files.fromIndex);
      handles.set(file, handle);
      for (const [name, location] of await readShardHeader(handle, file)) {
        const existing = tensors.get(name);
        if (existing !== undefined) {
          throw new CheckpointError(
            'index_mismatch',
            `tensor '${name}' is stored in both ${existing.file} and ${file}`,
            file,
            name,
          );
        }
        tensors.set(name, location);
      }
    }
    checkIndexAgainstShards(files.weightMap, tensors);
  } catch (error) {
    await Promise.all([...handles.values()].map((handle) => handle.close()));
    throw error;
  }
  return new FolderCheckpointReader(folder, files.names, handles, tensors);
}

interface WeightFiles {
  names: string[];
  fromIndex: boolean;
  /** The index's tensor -> shard map, when the checkpoint is sharded. */
  weightMap: Map<string, string> | undefined;
}

async function listWeightFiles(folder: string): Promise<WeightFiles> {
  const indexPath = join(folder, INDEX_FILE_NAME);
  const indexText = await readFile(indexPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (indexText === undefined) {
    const single = await stat(join(folder, SINGLE_FILE_NAME)).catch(() => undefined);
    if (single === undefined) {
      throw new CheckpointError(
        'weights_not_found',
        `checkpoint folder ${folder} has neither ${SINGLE_FILE_NAME} nor ${INDEX_FILE_NAME}`,
        folder,
      );
    }
    return { names: [SINGLE_FILE_NAME], fromIndex: false, weightMap: undefined };
  }
  const weightMap = parseIndex(indexText);
  return { names: [...new Set(weightMap.values())].sort(), fromIndex: true, weightMap };
}

function parseIndex(text: string): Map<string, string> {
  const corrupt = (detail: string) =>
    new CheckpointError('index_corrupt', `${INDEX_FILE_NAME}: ${detail}`, INDEX_FILE_NAME);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw corrupt(`not valid JSON (${(error as Error).message})`);
  }
  const weightMap = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap))
    throw corrupt("no 'weight_map' object");
  const map = new Map<string, string>();
  for (const [tensor, file] of Object.entries(weightMap as Record<string, unknown>)) {
    // Shard names come from a downloaded file: they must not reach outside the folder.
    if (typeof file !== 'string' || file === '' || basename(file) !== file || file === '.' || file === '..') {
      throw corrupt(`tensor '${tensor}' maps to an invalid shard name ${JSON.stringify(file)}`);
    }
    map.set(tensor, file);
  }
  if (map.size === 0) throw corrupt("'weight_map' is empty");
  return map;
}

async function openShard(folder: string, file: string, fromIndex: boolean): Promise<FileHandle> {
  try {
    return await open(join(folder, file), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw fromIndex
        ? new CheckpointError(
            'shard_missing',
            `shard ${file} named by ${INDEX_FILE_NAME} is missing from ${folder}`,
            file,
          )
        : new CheckpointError('weights_not_found', `${file} is missing from ${folder}`, file);
    }
    throw error;
  }
}

async function readExactly(handle: FileHandle, target: Uint8Array, position: number, file: string): Promise<void> {
  let filled = 0;
  while (filled < target.byteLength) {
    const length = Math.min(READ_CHUNK_BYTES, target.byteLength - filled);
    const { bytesRead } = await handle.read(target, filled, length, position + filled);
    if (bytesRead === 0) {
      throw new CheckpointError(
        'file_truncated',
        `${file}: unexpected end of file at byte ${position + filled} (the file shrank while open?)`,
        file,
      );
    }
    filled += bytesRead;
  }
}

async function readShardHeader(handle: FileHandle, file: string): Promise<Map<string, TensorLocation>> {
  const { size } = await handle.stat();
  const prefix = new Uint8Array(8);
  if (size >= 8) await readExactly(handle, prefix, 0, file);
  const headerLength = readHeaderLength(prefix, file, size);
  const json = new Uint8Array(headerLength);
  await readExactly(handle, json, 8, file);
  const header = parseHeader(json, file, size);
  const locations = new Map<string, TensorLocation>();
  for (const entry of header.entries) {
    if (!isFloatDtype(entry.dtype)) {
      throw new CheckpointError(
        'dtype_unsupported',
        `${file}: tensor '${entry.name}' is ${entry.dtype}; only BF16, F16 and F32 checkpoints are supported (quantised checkpoints are not)`,
        file,
        entry.name,
      );
    }
    locations.set(entry.name, {
      dtype: entry.dtype,
      shape: entry.shape,
      file,
      byteLength: entry.end - entry.begin,
      offset: header.dataStart + entry.begin,
    });
  }
  return locations;
}

function checkIndexAgainstShards(
  weightMap: Map<string, string> | undefined,
  tensors: Map<string, TensorLocation>,
): void {
  if (weightMap === undefined) return;
  for (const [tensor, file] of weightMap) {
    const location = tensors.get(tensor);
    if (location === undefined || location.file !== file) {
      throw new CheckpointError(
        'index_mismatch',
        `${INDEX_FILE_NAME} places tensor '${tensor}' in ${file}, but ${location === undefined ? 'no shard holds it' : `it is in ${location.file}`}`,
        file,
        tensor,
      );
    }
  }
}

class FolderCheckpointReader implements CheckpointReader {
  constructor(
    readonly folder: string,
    readonly files: readonly string[],
    private readonly handles: Map<string, FileHandle>,
    private readonly tensors: Map<string, TensorLocation>,
  ) {}

  tensorNames(): string[] {
    return [...this.tensors.keys()].sort();
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const { dtype, shape, file, byteLength } = this.locate(name);
    return { dtype, shape: [...shape], file, byteLength };
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const location = this.locate(name);
    const handle = this.handles.get(location.file);
    if (handle === undefined) throw new Error(`checkpoint ${this.folder} is closed`);
    // A fresh ArrayBuffer (not a pooled Buffer) so typed views over it are aligned.
    const bytes = new Uint8Array(location.byteLength);
    await readExactly(handle, bytes, location.offset, location.file);
    return bytes;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const { dtype } = this.locate(name);
    const bytes = await this.readBytes(name);
    switch (dtype) {
      case 'F32':
        return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
      case 'BF16':
        return bfloat16ToFloat32(new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2));
      case 'F16':
        return float16ToFloat32(new Uint16Array(bytes.buffer, 0, bytes.byteLength / 2));
    }
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((handle) => handle.close()));
  }

  private locate(name: string): TensorLocation {
    const location = this.tensors.get(name);
    if (location === undefined) {
      throw new CheckpointError(
        'tensor_not_found',
        `tensor '${name}' is not in the checkpoint at ${this.folder}`,
        undefined,
        name,
      );
    }
    return location;
  }
}
