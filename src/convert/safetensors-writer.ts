// A streaming safetensors writer. Every tensor is declared up front (name, shape, dtype), so the
// header with all offsets is written first; the values are then appended in declaration order,
// one tensor or one slice of a tensor at a time. A multi-gigabyte checkpoint is written with memory
// bounded by the largest slice the caller hands over. Optionally the tensors are split into shards
// with a `model.safetensors.index.json`, the layout Hugging Face uses for large checkpoints.
import { open, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from './checkpoint-error.js';
import { float32ToBfloat16 } from './float-conversion.js';
import { INDEX_FILE_NAME, SINGLE_FILE_NAME } from './safetensors-reader.js';
import { DTYPE_BYTES, elementCount, serializeHeader } from './safetensors-format.js';
import type { HeaderEntry } from './safetensors-format.js';

export type WritableDtype = 'BF16' | 'F32';

export interface TensorDeclaration {
  name: string;
  shape: readonly number[];
  /** Defaults to BF16, the dtype of Qwen2.5-VL checkpoints. */
  dtype?: WritableDtype;
}

export interface SafetensorsWriterOptions {
  /**
   * Start a new shard when the next tensor would push the current one past this many bytes (a
   * tensor larger than the limit gets a shard of its own). Absent: one `model.safetensors`.
   */
  maxShardBytes?: number;
  /** The header's `__metadata__`; defaults to `{format: 'pt'}` as PyTorch's save writes it. */
  metadata?: Record<string, string>;
}

interface PlannedTensor {
  name: string;
  dtype: WritableDtype;
  shape: number[];
  elements: number;
  shardIndex: number;
  /** Absolute offset of the tensor's first byte in its shard. */
  offset: number;
}

interface Shard {
  file: string;
  handle: FileHandle;
}

export interface WrittenCheckpoint {
  /** Weight files written, in order (one `model.safetensors`, or the shards). */
  files: string[];
  /** Bytes of tensor data, headers excluded (the index's `metadata.total_size`). */
  totalBytes: number;
}

function planShards(
  tensors: readonly TensorDeclaration[],
  maxShardBytes: number | undefined,
): { planned: PlannedTensor[]; entriesPerShard: HeaderEntry[][] } {
  const names = new Set<string>();
  const entriesPerShard: HeaderEntry[][] = [[]];
  const planned: PlannedTensor[] = [];
  let shardBytes = 0;
  for (const declaration of tensors) {
    const dtype = declaration.dtype ?? 'BF16';
    const shape = [...declaration.shape];
    if (names.has(declaration.name))
      throw new CheckpointError(
        'write_invalid',
        `tensor '${declaration.name}' is declared twice`,
        undefined,
        declaration.name,
      );
    if (!shape.every((dimension) => Number.isSafeInteger(dimension) && dimension >= 0)) {
      throw new CheckpointError(
        'write_invalid',
        `tensor '${declaration.name}' has invalid shape [${shape.join(', ')}]`,
        undefined,
        declaration.name,
      );
    }
    names.add(declaration.name);
    const elements = elementCount(shape);
    const bytes = elements * DTYPE_BYTES[dtype]!;
    if (maxShardBytes !== undefined && shardBytes > 0 && shardBytes + bytes > maxShardBytes) {
      entriesPerShard.push([]);
      shardBytes = 0;
    }
    const shardIndex = entriesPerShard.length - 1;
    entriesPerShard[shardIndex]!.push({
      name: declaration.name,
      dtype,
      shape,
      begin: shardBytes,
      end: shardBytes + bytes,
    });
    planned.push({ name: declaration.name, dtype, shape, elements, shardIndex, offset: shardBytes });
    shardBytes += bytes;
  }
  return { planned, entriesPerShard };
}

function shardFileName(index: number, count: number): string {
  if (count === 1) return SINGLE_FILE_NAME;
  const pad = (value: number) => String(value).padStart(5, '0');
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const result = await handle.write(bytes, written, bytes.byteLength - written, position + written);
    written += result.bytesWritten;
  }
}

export class SafetensorsWriter {
  private current = 0;
  /** Values of the current tensor already written. */
  private writtenElements = 0;
  private scratch = new Uint16Array(0);
  private closed = false;

  private constructor(
    private readonly folder: string,
    private readonly planned: PlannedTensor[],
    private readonly shards: Shard[],
  ) {
    this.advance();
  }

  /** Creates the weight files in `folder` (which must exist) and writes their headers. */
  static async create(
    folder: string,
    tensors: readonly TensorDeclaration[],
    options: SafetensorsWriterOptions = {},
  ): Promise<SafetensorsWriter> {
    const { planned, entriesPerShard } = planShards(tensors, options.maxShardBytes);
    const metadata = options.metadata ?? { format: 'pt' };
    const shards: Shard[] = [];
    try {
      for (const [index, entries] of entriesPerShard.entries()) {
        const file = shardFileName(index, entriesPerShard.length);
        const handle = await open(join(folder, file), 'w');
        shards.push({ file, handle });
        const header = serializeHeader(entries, metadata);
        await writeAll(handle, header, 0);
        // Offsets so far are relative to each shard's byte buffer; make them absolute.
        for (const tensor of planned) if (tensor.shardIndex === index) tensor.offset += header.byteLength;
      }
    } catch (error) {
      await Promise.all(shards.map((shard) => shard.handle.close()));
      throw error;
    }
    return new SafetensorsWriter(folder, planned, shards);
  }

  /** Tensor names in the order their values must be appended. */
  get order(): string[] {
    return this.planned.map((tensor) => tensor.name);
  }

  get files(): string[] {
    return this.shards.map((shard) => shard.file);
  }

  /** Bytes of tensor data that will be written in total. */
  get totalBytes(): number {
    return this.planned.reduce((sum, tensor) => sum + tensor.elements * DTYPE_BYTES[tensor.dtype]!, 0);
  }

  /**
   * Appends the next values of tensor `name`, which must be the first tensor not yet complete.
   * Values are rounded to the declared dtype (BF16: round to nearest even).
   */
  async append(name: string, values: Float32Array): Promise<void> {
    if (this.closed)
      throw new CheckpointError(
        'write_invalid',
        `cannot write tensor '${name}': the writer is closed`,
        undefined,
        name,
      );
    const tensor = this.planned[this.current];
    if (tensor === undefined || tensor.name !== name) {
      const expected = tensor === undefined ? 'no more tensors' : `tensor '${tensor.name}'`;
      throw new CheckpointError(
        'write_invalid',
        `tensor '${name}' written out of order: expected ${expected}`,
        undefined,
        name,
      );
    }
    if (this.writtenElements + values.length > tensor.elements) {
      throw new CheckpointError(
        'write_invalid',
        `tensor '${name}' [${tensor.shape.join(', ')}] holds ${tensor.elements} values; ${this.writtenElements + values.length} were written`,
        undefined,
        name,
      );
    }
    const shard = this.shards[tensor.shardIndex]!;
    const position = tensor.offset + this.writtenElements * DTYPE_BYTES[tensor.dtype]!;
    await writeAll(shard.handle, this.encode(tensor.dtype, values), position);
    this.writtenElements += values.length;
    if (this.writtenElements === tensor.elements) this.advance();
  }

  /** Writes a whole tensor at once. */
  async write(name: string, values: Float32Array): Promise<void> {
    const tensor = this.planned[this.current];
    if (tensor !== undefined && tensor.name === name && values.length !== tensor.elements - this.writtenElements) {
      throw new CheckpointError(
        'write_invalid',
        `tensor '${name}' [${tensor.shape.join(', ')}] needs ${tensor.elements} values, got ${values.length}`,
        undefined,
        name,
      );
    }
    await this.append(name, values);
  }

  /** Closes the files; fails (naming the tensor) if a declared tensor was not fully written. */
  async finish(): Promise<WrittenCheckpoint> {
    this.advance();
    const missing = this.planned[this.current];
    await this.close();
    if (missing !== undefined) {
      throw new CheckpointError(
        'write_incomplete',
        `checkpoint in ${this.folder} is incomplete: tensor '${missing.name}' has ${this.writtenElements} of ${missing.elements} values`,
        this.shards[missing.shardIndex]?.file,
        missing.name,
      );
    }
    if (this.shards.length > 1) await this.writeIndex();
    return { files: this.files, totalBytes: this.totalBytes };
  }

  /** Closes the files without checking completeness (after a failure; the caller removes them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.shards.map((shard) => shard.handle.close()));
  }

  /** Moves past the finished tensor and any empty (zero-element) tensors after it. */
  private advance(): void {
    const finished = this.planned[this.current];
    if (finished !== undefined && this.writtenElements === finished.elements) {
      this.current += 1;
      this.writtenElements = 0;
    }
    while (this.planned[this.current]?.elements === 0) this.current += 1;
  }

  private encode(dtype: WritableDtype, values: Float32Array): Uint8Array {
    if (dtype === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    if (this.scratch.length < values.length) this.scratch = new Uint16Array(values.length);
    float32ToBfloat16(values, this.scratch);
    return new Uint8Array(this.scratch.buffer, 0, values.length * 2);
  }

  private async writeIndex(): Promise<void> {
    const weightMap: Record<string, string> = {};
    for (const tensor of [...this.planned].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      weightMap[tensor.name] = this.shards[tensor.shardIndex]!.file;
    }
    const index = { metadata: { total_size: this.totalBytes }, weight_map: weightMap };
    await writeFile(join(this.folder, INDEX_FILE_NAME), JSON.stringify(index, null, 2) + '\n');
  }
}
