import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTinyCheckpoint, presetParameters } from '../../src/convert/make-tiny.js';
import { parseModelConfig } from '../../src/model-format/model-config.js';
import { openCheckpoint } from '../../src/convert/safetensors-reader.js';
import { withTemporaryFolder } from './safetensors-fixtures.js';
import { fixturePath } from '../helpers/fixtures.js';

const GOLDEN_MODEL = fixturePath('golden', 'tiny-a', 'model');

async function digestOfFolder(folder: string): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const name of (await readdir(folder)).sort())
    digests[name] = createHash('sha256')
      .update(await readFile(join(folder, name)))
      .digest('hex');
  return digests;
}

function statistics(values: Float32Array): { mean: number; std: number } {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length) };
}

describe('makeTinyCheckpoint (tiny preset)', () => {
  it('is deterministic per seed and matches tiny-a in config and tensor layout', async () => {
    await withTemporaryFolder(async (root) => {
      const first = await makeTinyCheckpoint(join(root, 'a'), { seed: 7 });
      await makeTinyCheckpoint(join(root, 'b'), { seed: 7 });
      await makeTinyCheckpoint(join(root, 'c'), { seed: 8 });
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((name) => digestOfFolder(join(root, name))));
      expect(Object.keys(a!)).toEqual(
        expect.arrayContaining([
          'config.json',
          'generation_config.json',
          'preprocessor_config.json',
          'model.safetensors',
          'tokenizer.json',
          'tokenizer_config.json',
        ]),
      );
      expect(b).toEqual(a);
      expect(c!['model.safetensors']).not.toBe(a!['model.safetensors']);
      expect(c!['config.json']).toBe(a!['config.json']);
      expect((await readdir(root)).sort()).toEqual(['a', 'b', 'c']);

      const config = JSON.parse(await readFile(join(root, 'a', 'config.json'), 'utf8')) as unknown;
      expect(config).toEqual(JSON.parse(await readFile(join(GOLDEN_MODEL, 'config.json'), 'utf8')));
      expect(parseModelConfig(config)).toEqual(first.config);

      const made = await openCheckpoint(join(root, 'a'));
      const golden = await openCheckpoint(GOLDEN_MODEL);
      expect(made.tensorNames()).toEqual(golden.tensorNames());
      for (const name of golden.tensorNames()) expect(made.info(name), name).toEqual(golden.info(name));
      expect(first.parameterCount).toBe(
        golden.tensorNames().reduce((sum, name) => sum + golden.info(name).byteLength / 2, 0),
      );
      await golden.close();

      // Initialisation of tests/fixtures/golden/README.md §3.4, within sampling error.
      const norm = statistics(await made.readFloat32('model.layers.0.input_layernorm.weight'));
      expect(norm.mean).toBeCloseTo(1, 1);
      expect(norm.std).toBeGreaterThan(0.03);
      expect(norm.std).toBeLessThan(0.07);
      expect(statistics(await made.readFloat32('model.embed_tokens.weight')).std).toBeCloseTo(0.02, 3);
      expect(statistics(await made.readFloat32('visual.merger.mlp.0.weight')).std).toBeCloseTo(1 / 16, 3);
      expect(statistics(await made.readFloat32('visual.patch_embed.proj.weight')).std).toBeCloseTo(
        1 / Math.sqrt(1176),
        3,
      );
      expect(statistics(await made.readFloat32('visual.blocks.0.attn.qkv.bias')).std).toBeLessThan(0.04);
      await made.close();
    });
  });

  it('writes the preprocessor and generation configs of Qwen2.5-VL-3B-Instruct', async () => {
    await withTemporaryFolder(async (root) => {
      await makeTinyCheckpoint(join(root, 'model'));
      const preprocessor = JSON.parse(
        await readFile(join(root, 'model', 'preprocessor_config.json'), 'utf8'),
      ) as Record<string, unknown>;
      expect(preprocessor).toMatchObject({
        min_pixels: 3136,
        max_pixels: 12845056,
        patch_size: 14,
        temporal_patch_size: 2,
        merge_size: 2,
      });
      expect(preprocessor.image_processor_type).toBe('Qwen2VLImageProcessor');
      expect(preprocessor.processor_class).toBe('Qwen2_5_VLProcessor');
      const generation = JSON.parse(await readFile(join(root, 'model', 'generation_config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(generation).toMatchObject({
        repetition_penalty: 1.05,
        eos_token_id: [151645, 151643],
        pad_token_id: 151643,
      });
      const tokenizerConfig = JSON.parse(
        await readFile(join(root, 'model', 'tokenizer_config.json'), 'utf8'),
      ) as Record<string, unknown>;
      expect(typeof tokenizerConfig.chat_template).toBe('string');
    });
  });

  it('writes an untied, sharded variant that the reader opens through its index', async () => {
    await withTemporaryFolder(async (root) => {
      const made = await makeTinyCheckpoint(join(root, 'untied'), {
        tieWordEmbeddings: false,
        maxShardBytes: 16 * 1024 * 1024,
      });
      expect(made.weightFiles).toEqual([
        'model-00001-of-00003.safetensors',
        'model-00002-of-00003.safetensors',
        'model-00003-of-00003.safetensors',
      ]);
      expect(made.config.text.tieWordEmbeddings).toBe(false);
      const reader = await openCheckpoint(join(root, 'untied'));
      expect(reader.info('lm_head.weight').shape).toEqual([151936, 64]);
      expect(reader.tensorNames()).toHaveLength(81);
      await reader.close();
    });
  });

  it('refuses to overwrite and leaves nothing behind when interrupted', async () => {
    await withTemporaryFolder(async (root) => {
      await makeTinyCheckpoint(join(root, 'model'));
      await expect(makeTinyCheckpoint(join(root, 'model'))).rejects.toMatchObject({ code: 'output_exists' });
      const before = (await stat(join(root, 'model', 'model.safetensors'))).mtimeMs;
      await makeTinyCheckpoint(join(root, 'model'), { overwrite: true, seed: 1 });
      expect((await stat(join(root, 'model', 'model.safetensors'))).mtimeMs).toBeGreaterThanOrEqual(before);

      const controller = new AbortController();
      let advanced = 0;
      const progress = {
        start() {},
        finish() {},
        advance() {
          if (++advanced === 2) controller.abort();
        },
      };
      await expect(
        makeTinyCheckpoint(join(root, 'aborted'), { signal: controller.signal, progress }),
      ).rejects.toThrow();
      expect((await readdir(root)).sort()).toEqual(['model']);
    });
  });
});

describe('presetParameters', () => {
  it('gives the 3b preset the exact parameter count of Qwen2.5-VL-3B-Instruct', () => {
    const { config, parameters } = presetParameters('3b');
    const parsed = parseModelConfig(config);
    expect(parsed.text).toMatchObject({
      hiddenSize: 2048,
      intermediateSize: 11008,
      numLayers: 36,
      numHeads: 16,
      numKeyValueHeads: 2,
      headDim: 128,
      mropeSection: [16, 24, 24],
      tieWordEmbeddings: true,
    });
    expect(parsed.vision).toMatchObject({
      depth: 32,
      hiddenSize: 1280,
      intermediateSize: 3420,
      numHeads: 16,
      outHiddenSize: 2048,
      fullAttentionBlockIndexes: [7, 15, 23, 31],
      windowSize: 112,
      tokensPerSecond: 2,
    });
    // Counted independently from the published module sizes (embedding 151936x2048; decoder
    // layer 77,076,992; vision block 19,702,200; patch embed 1,505,280; merger 36,708,608).
    const expected = 151936 * 2048 + 36 * 77_076_992 + 2048 + 32 * 19_702_200 + 1_505_280 + 1280 + 36_707_328;
    expect(parameters.reduce((sum, parameter) => sum + parameter.shape.reduce((a, b) => a * b, 1), 0)).toBe(expected);
    expect(parameters.some((parameter) => parameter.name === 'lm_head.weight')).toBe(false);
  });

  it('keeps the small preset consistent and a few hundred MB', () => {
    const { config, parameters } = presetParameters('small');
    const parsed = parseModelConfig(config);
    expect(parsed.text.headDim).toBe(64);
    expect(parsed.vision.headDim).toBe(64);
    const bytes = 2 * parameters.reduce((sum, parameter) => sum + parameter.shape.reduce((a, b) => a * b, 1), 0);
    expect(bytes).toBeGreaterThan(400e6);
    expect(bytes).toBeLessThan(700e6);
  });
});
