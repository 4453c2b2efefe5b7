import { mkdir, open, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../src/convert/checkpoint-error.js';
import type { CheckpointErrorCode } from '../../src/convert/checkpoint-error.js';
import { openCheckpoint } from '../../src/convert/safetensors-reader.js';
import { buildSafetensors, float32Bytes, uint16Bytes, withTemporaryFolder } from './safetensors-fixtures.js';
import { fixturePath } from '../helpers/fixtures.js';

const GOLDEN_MODEL = fixturePath('golden', 'tiny-a', 'model');

async function expectCode(
  promise: Promise<unknown>,
  code: CheckpointErrorCode,
  mentions: string,
): Promise<CheckpointError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as CheckpointError).code).toBe(code);
  expect((error as CheckpointError).message).toContain(mentions);
  return error as CheckpointError;
}

const sample = [
  { name: 'a.f32', dtype: 'F32', shape: [2, 2], data: float32Bytes([1, -2, 0.5, 3e38]) },
  // 0x3f80 = 1, 0xc020 = -2.5, 0x7f80 = +inf (bfloat16)
  { name: 'b.bf16', dtype: 'BF16', shape: [3], data: uint16Bytes([0x3f80, 0xc020, 0x7f80]) },
  // 0x3c00 = 1, 0x0001 = 2^-24, 0xfbff = -65504 (float16)
  { name: 'c.f16', dtype: 'F16', shape: [1, 3], data: uint16Bytes([0x3c00, 0x0001, 0xfbff]) },
];

describe('openCheckpoint on the golden tiny-a checkpoint', () => {
  it('lists every tensor with its dtype and shape, and reads values', async () => {
    const reader = await openCheckpoint(GOLDEN_MODEL);
    try {
      const names = reader.tensorNames();
      expect(names).toHaveLength(80);
      expect(names).not.toContain('lm_head.weight');
      expect(reader.info('visual.patch_embed.proj.weight')).toEqual({
        dtype: 'BF16',
        shape: [64, 3, 2, 14, 14],
        file: 'model.safetensors',
        byteLength: 64 * 3 * 2 * 14 * 14 * 2,
      });
      const norm = await reader.readFloat32('model.norm.weight');
      expect(norm).toHaveLength(64);
      // RMSNorm weights were drawn as 1 + N(0, 0.05) (tests/fixtures/golden/README.md §3.4).
      const mean = norm.reduce((sum, value) => sum + value, 0) / norm.length;
      expect(mean).toBeGreaterThan(0.97);
      expect(mean).toBeLessThan(1.03);
      const embeddings = await reader.readFloat32('model.embed_tokens.weight');
      expect(embeddings).toHaveLength(151936 * 64);
    } finally {
      await reader.close();
    }
  });
});

describe('openCheckpoint on hand-built files', () => {
  it('widens F32, BF16 and F16 exactly', async () => {
    await withTemporaryFolder(async (folder) => {
      await writeFile(join(folder, 'model.safetensors'), buildSafetensors(sample));
      const reader = await openCheckpoint(folder);
      expect(reader.tensorNames()).toEqual(['a.f32', 'b.bf16', 'c.f16']);
      expect(Array.from(await reader.readFloat32('a.f32'))).toEqual([1, -2, 0.5, Math.fround(3e38)]);
      expect(Array.from(await reader.readFloat32('b.bf16'))).toEqual([1, -2.5, Infinity]);
      expect(Array.from(await reader.readFloat32('c.f16'))).toEqual([1, 2 ** -24, -65504]);
      expect(Array.from(await reader.readBytes('b.bf16'))).toEqual(Array.from(uint16Bytes([0x3f80, 0xc020, 0x7f80])));
      await expectCode(
        Promise.resolve().then(() => reader.info('missing.weight')),
        'tensor_not_found',
        "'missing.weight'",
      );
      await reader.close();
    });
  });

  it('reads a tensor past 4 GiB of other data from its own byte range', async () => {
    await withTemporaryFolder(async (folder) => {
      // A sparse file: a 4.5 GiB tensor (never read, takes no disk) followed by a small one.
      const bigBytes = 4.5 * 1024 ** 3;
      const header = {
        big: { dtype: 'BF16', shape: [bigBytes / 2], data_offsets: [0, bigBytes] },
        small: { dtype: 'F32', shape: [2], data_offsets: [bigBytes, bigBytes + 8] },
      };
      const prefix = buildSafetensors([], header);
      const path = join(folder, 'model.safetensors');
      await writeFile(path, prefix);
      await truncate(path, prefix.byteLength + bigBytes + 8);
      const handle = await open(path, 'r+');
      await handle.write(float32Bytes([7, -8]), 0, 8, prefix.byteLength + bigBytes);
      await handle.close();
      const reader = await openCheckpoint(folder);
      expect(Array.from(await reader.readFloat32('small'))).toEqual([7, -8]);
      expect(reader.info('big').byteLength).toBe(bigBytes);
      await reader.close();
    });
  });

  it('opens a sharded checkpoint through its index', async () => {
    await withTemporaryFolder(async (folder) => {
      await writeFile(join(folder, 'model-00001-of-00002.safetensors'), buildSafetensors([sample[0]!]));
      await writeFile(join(folder, 'model-00002-of-00002.safetensors'), buildSafetensors([sample[1]!, sample[2]!]));
      const weightMap = {
        'a.f32': 'model-00001-of-00002.safetensors',
        'b.bf16': 'model-00002-of-00002.safetensors',
        'c.f16': 'model-00002-of-00002.safetensors',
      };
      await writeFile(
        join(folder, 'model.safetensors.index.json'),
        JSON.stringify({ metadata: { total_size: 34 }, weight_map: weightMap }),
      );
      const reader = await openCheckpoint(folder);
      expect(reader.info('c.f16').file).toBe('model-00002-of-00002.safetensors');
      expect(Array.from(await reader.readFloat32('a.f32'))).toEqual([1, -2, 0.5, Math.fround(3e38)]);
      await reader.close();

      await unlink(join(folder, 'model-00002-of-00002.safetensors'));
      await expectCode(openCheckpoint(folder), 'shard_missing', 'model-00002-of-00002.safetensors');
    });
  });
});

describe('openCheckpoint errors', () => {
  it('names a missing folder and a folder without weights', async () => {
    await expectCode(
      openCheckpoint('/nonexistent/shotvl-checkpoint'),
      'checkpoint_not_found',
      '/nonexistent/shotvl-checkpoint',
    );
    await withTemporaryFolder(async (folder) => {
      await expectCode(openCheckpoint(folder), 'weights_not_found', 'model.safetensors');
    });
  });

  it('detects a truncated file and names the tensor cut off', async () => {
    await withTemporaryFolder(async (folder) => {
      const bytes = buildSafetensors(sample);
      await writeFile(join(folder, 'model.safetensors'), bytes.subarray(0, bytes.byteLength - 3));
      const error = await expectCode(openCheckpoint(folder), 'file_truncated', 'model.safetensors');
      expect(error.tensor).toBe('c.f16');
      await writeFile(join(folder, 'model.safetensors'), bytes.subarray(0, 20));
      await expectCode(openCheckpoint(folder), 'file_truncated', 'header alone');
      await writeFile(join(folder, 'model.safetensors'), bytes.subarray(0, 5));
      await expectCode(openCheckpoint(folder), 'file_truncated', 'too short');
    });
  });

  it.each([
    [
      'invalid JSON',
      () => {
        const bytes = buildSafetensors(sample);
        bytes[8] = 0x78;
        return bytes;
      },
      'not valid UTF-8 JSON',
    ],
    [
      'a huge length field',
      () => {
        const bytes = buildSafetensors(sample);
        new DataView(bytes.buffer).setBigUint64(0, 1n << 40n, true);
        return bytes;
      },
      'header length',
    ],
    [
      'a size that disagrees with the shape',
      () => buildSafetensors(sample, { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }),
      "tensor 'x' F32[3] needs 12 bytes",
    ],
    [
      'overlapping tensors',
      () =>
        buildSafetensors(sample, {
          x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          y: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        }),
      'overlap',
    ],
    [
      'an unknown dtype',
      () => buildSafetensors(sample, { x: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }),
      'unknown dtype',
    ],
    [
      'negative offsets',
      () => buildSafetensors(sample, { x: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }),
      'invalid data_offsets',
    ],
  ])('rejects a header with %s', async (_label, build, mentions) => {
    await withTemporaryFolder(async (folder) => {
      await writeFile(join(folder, 'model.safetensors'), build());
      const error = await expectCode(openCheckpoint(folder), 'header_corrupt', mentions);
      expect(error.message).toContain('model.safetensors');
    });
  });

  it('rejects dtypes it cannot read, naming the tensor', async () => {
    await withTemporaryFolder(async (folder) => {
      await writeFile(
        join(folder, 'model.safetensors'),
        buildSafetensors([{ name: 'step', dtype: 'I64', shape: [1], data: new Uint8Array(8) }]),
      );
      await expectCode(openCheckpoint(folder), 'dtype_unsupported', "tensor 'step' is I64");
    });
  });

  it('rejects a corrupt index, shard names leaving the folder, and tensors the shards lack', async () => {
    await withTemporaryFolder(async (folder) => {
      const index = join(folder, 'model.safetensors.index.json');
      await writeFile(index, '{"weight_map": ');
      await expectCode(openCheckpoint(folder), 'index_corrupt', 'not valid JSON');
      await writeFile(index, JSON.stringify({ weight_map: { x: '../outside.safetensors' } }));
      await expectCode(openCheckpoint(folder), 'index_corrupt', 'invalid shard name');
      await mkdir(join(folder, 'sub'));
      await writeFile(join(folder, 'shard.safetensors'), buildSafetensors([sample[0]!]));
      await writeFile(
        index,
        JSON.stringify({ weight_map: { 'a.f32': 'shard.safetensors', 'b.bf16': 'shard.safetensors' } }),
      );
      await expectCode(openCheckpoint(folder), 'index_mismatch', "'b.bf16'");
    });
  });
});
