import { createHash } from 'node:crypto';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/convert/checkpoint-error.js';
import { roundToBfloat16 } from '../../src/convert/float-conversion.js';
import { openCheckpoint } from '../../src/convert/safetensors-reader.js';
import { SafetensorsWriter } from '../../src/convert/safetensors-writer.js';
import { withTemporaryFolder } from './safetensors-fixtures.js';
import { fixturePath } from '../helpers/fixtures.js';

const GOLDEN_MODEL = fixturePath('golden', 'tiny-a', 'model');

function ramp(count: number, scale: number): Float32Array {
  return Float32Array.from({ length: count }, (_, index) => (index - count / 2) * scale);
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('SafetensorsWriter', () => {
  it('round-trips BF16 (rounded to nearest even) and F32 tensors', async () => {
    await withTemporaryFolder(async (folder) => {
      const weight = ramp(6 * 5, 0.0123);
      const bias = ramp(5, 1.1);
      const writer = await SafetensorsWriter.create(folder, [
        { name: 'layer.weight', shape: [6, 5] },
        { name: 'layer.bias', shape: [5], dtype: 'F32' },
      ]);
      await writer.write('layer.weight', weight);
      await writer.write('layer.bias', bias);
      expect(await writer.finish()).toEqual({ files: ['model.safetensors'], totalBytes: 6 * 5 * 2 + 5 * 4 });

      const reader = await openCheckpoint(folder);
      expect(reader.info('layer.weight')).toMatchObject({ dtype: 'BF16', shape: [6, 5] });
      expect(Array.from(await reader.readFloat32('layer.weight'))).toEqual(Array.from(weight, roundToBfloat16));
      expect(Array.from(await reader.readFloat32('layer.bias'))).toEqual(Array.from(bias));
      await reader.close();

      // The data starts 8-byte aligned and the header is padded with spaces, as the reference writes it.
      const bytes = await readFile(join(folder, 'model.safetensors'));
      const headerLength = Number(bytes.readBigUInt64LE(0));
      expect(headerLength % 8).toBe(0);
      const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, unknown>;
      expect(header.__metadata__).toEqual({ format: 'pt' });
      expect(header['layer.bias']).toEqual({ dtype: 'F32', shape: [5], data_offsets: [60, 80] });
    });
  });

  it('writes the same bytes whether a tensor arrives whole or in slices', async () => {
    const values = ramp(1000, 0.37);
    const digests: string[] = [];
    for (const sliceSize of [1000, 7, 333]) {
      await withTemporaryFolder(async (folder) => {
        const writer = await SafetensorsWriter.create(folder, [{ name: 'x', shape: [10, 100] }]);
        for (let start = 0; start < values.length; start += sliceSize)
          await writer.append('x', values.subarray(start, start + sliceSize));
        await writer.finish();
        digests.push(await sha256(join(folder, 'model.safetensors')));
      });
    }
    expect(new Set(digests).size).toBe(1);
  });

  it('reproduces the golden tiny-a file byte for byte from its own tensors', async () => {
    const reader = await openCheckpoint(GOLDEN_MODEL);
    const bytes = await readFile(join(GOLDEN_MODEL, 'model.safetensors'));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const fileOrder = Object.keys(JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as object).filter(
      (name) => name !== '__metadata__',
    );
    await withTemporaryFolder(async (folder) => {
      const writer = await SafetensorsWriter.create(
        folder,
        fileOrder.map((name) => ({ name, shape: reader.info(name).shape })),
      );
      for (const name of writer.order) await writer.write(name, await reader.readFloat32(name));
      await writer.finish();
      expect(await sha256(join(folder, 'model.safetensors'))).toBe(createHash('sha256').update(bytes).digest('hex'));
    });
    await reader.close();
  });

  it('shards by size with an index that the reader follows', async () => {
    await withTemporaryFolder(async (folder) => {
      const declarations = [
        { name: 'a', shape: [100] },
        { name: 'b', shape: [100] },
        { name: 'c', shape: [300] },
        { name: 'd', shape: [10] },
      ];
      const writer = await SafetensorsWriter.create(folder, declarations, { maxShardBytes: 450 });
      for (const { name, shape } of declarations) await writer.write(name, ramp(shape[0]!, 0.5));
      const written = await writer.finish();
      expect(written.files).toEqual([
        'model-00001-of-00003.safetensors',
        'model-00002-of-00003.safetensors',
        'model-00003-of-00003.safetensors',
      ]);
      const index = JSON.parse(await readFile(join(folder, 'model.safetensors.index.json'), 'utf8')) as {
        metadata: { total_size: number };
        weight_map: Record<string, string>;
      };
      expect(index.metadata.total_size).toBe(1020);
      expect(index.weight_map).toEqual({
        a: 'model-00001-of-00003.safetensors',
        b: 'model-00001-of-00003.safetensors',
        c: 'model-00002-of-00003.safetensors',
        d: 'model-00003-of-00003.safetensors',
      });
      const reader = await openCheckpoint(folder);
      expect(Array.from(await reader.readFloat32('c'))).toEqual(Array.from(ramp(300, 0.5), roundToBfloat16));
      await reader.close();
      await unlink(join(folder, 'model-00002-of-00003.safetensors'));
      await expect(openCheckpoint(folder)).rejects.toMatchObject({
        code: 'shard_missing',
        file: 'model-00002-of-00003.safetensors',
      });
      expect((await readdir(folder)).sort()).toContain('model.safetensors.index.json');
    });
  });

  it('refuses out-of-order, oversized and incomplete writes, naming the tensor', async () => {
    await withTemporaryFolder(async (folder) => {
      await expect(
        SafetensorsWriter.create(folder, [
          { name: 'a', shape: [1] },
          { name: 'a', shape: [2] },
        ]),
      ).rejects.toMatchObject({ code: 'write_invalid' });
      const writer = await SafetensorsWriter.create(folder, [
        { name: 'first', shape: [4] },
        { name: 'second', shape: [2] },
      ]);
      await expect(writer.append('second', new Float32Array(2))).rejects.toThrow(
        "tensor 'second' written out of order: expected tensor 'first'",
      );
      await expect(writer.append('first', new Float32Array(5))).rejects.toMatchObject({
        code: 'write_invalid',
        tensor: 'first',
      });
      await expect(writer.write('first', new Float32Array(3))).rejects.toThrow('needs 4 values, got 3');
      await writer.append('first', new Float32Array(4));
      await writer.append('second', new Float32Array(1));
      const error = await writer.finish().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error).toMatchObject({ code: 'write_incomplete', tensor: 'second' });
    });
  });
});
