// Every legal way Hugging Face saves the same Qwen2.5-VL weights converts to the same model: the
// newer parameter names, sharded files, a nested-only config, an untied head equal to the
// embeddings. Each variant's logits and vision features must equal those of the legacy-named
// original (same weights, same graphs: the difference is exactly zero).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert-checkpoint.js';
import { makeTinyCheckpoint } from '../../src/convert/make-tiny.js';
import { SeededRandom } from '../../src/convert/seeded-random.js';
import { readModelConfig } from '../../src/model-format/read-model-config.js';
import { QwenOnnxSessions } from '../../src/runtime/qwen2-5-vl/onnx-sessions.js';
import { buildVisionEncoderInputs } from '../../src/runtime/qwen2-5-vl/vision-inputs.js';
import type { GridThw } from '../../src/runtime/qwen2-5-vl/grid-thw.js';
import { editConfig, nestedOnlyConfig, newerParameterName, rewriteCheckpoint } from './checkpoint-variants.js';

/** `<|im_start|>system\nYou are a helpful assistant.<|im_end|>` in Qwen2 BPE ids. */
const TEXT_IDS = [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645];
/** Two 8x8-patch windows, so windowed and full-attention blocks both run. */
const GRID: GridThw = [1, 8, 16];

interface ModelOutputs {
  logits: Float32Array;
  visionFeatures: Float32Array;
}

let root: string;
let reference: ModelOutputs;

async function convertAndRun(checkpointDir: string): Promise<ModelOutputs> {
  const modelDir = `${checkpointDir}-onnx`;
  await convertCheckpoint({ checkpointDir, outputDir: modelDir, formats: ['fp32'] });
  const config = readModelConfig(modelDir);
  const sessions = await QwenOnnxSessions.load(modelDir, config, { format: 'fp32', intraOpThreads: 1 });
  try {
    const length = TEXT_IDS.length;
    const embeds = await sessions.embed(BigInt64Array.from(TEXT_IDS, BigInt), 1, length);
    // Text only: the three M-RoPE axes all count tokens.
    const positionIds = BigInt64Array.from({ length: 3 * length }, (_, index) => BigInt(index % length));
    const step = await sessions.decode({
      embeds,
      batchSize: 1,
      sequenceLength: length,
      attentionMask: new BigInt64Array(length).fill(1n),
      positionIds,
      past: sessions.emptyCache(1),
      logitsToKeep: 0,
    });
    const pixels = new Float32Array(GRID[0] * GRID[1] * GRID[2] * 3 * 2 * 14 * 14);
    new SeededRandom(1, 'pixels').fillNormal(pixels, 0, 1);
    const visionFeatures = await sessions.encodeVision(pixels, buildVisionEncoderInputs(GRID, config.vision));
    return { logits: step.logits.slice(), visionFeatures: visionFeatures.slice() };
  } finally {
    await sessions.release();
  }
}

function maxAbsoluteDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let largest = 0;
  for (let index = 0; index < a.length; index++) largest = Math.max(largest, Math.abs(a[index]! - b[index]!));
  return largest;
}

function expectSameOutputs(outputs: ModelOutputs, expected: ModelOutputs): void {
  expect(maxAbsoluteDifference(outputs.logits, expected.logits)).toBe(0);
  expect(maxAbsoluteDifference(outputs.visionFeatures, expected.visionFeatures)).toBe(0);
}

function folder(name: string): string {
  const path = join(root, name);
  mkdirSync(path);
  return path;
}

describe('checkpoint variants convert to the same model', () => {
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'shotvl-variants-'));
    // Untied (as the 7B checkpoints are), legacy names, one file, flat + nested config.
    await makeTinyCheckpoint(join(root, 'legacy'), { preset: 'tiny', seed: 7, tieWordEmbeddings: false });
    reference = await convertAndRun(join(root, 'legacy'));
    expect(reference.logits.length).toBe(TEXT_IDS.length * 151936);
  });

  afterAll(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('newer parameter names (model.visual.*, model.language_model.*)', async () => {
    const variant = folder('newer-names');
    await rewriteCheckpoint(join(root, 'legacy'), variant, { rename: newerParameterName });
    expectSameOutputs(await convertAndRun(variant), reference);
  });

  it('untied head, sharded with an index, under either naming scheme', async () => {
    const legacySharded = folder('sharded');
    await rewriteCheckpoint(join(root, 'legacy'), legacySharded, { maxShardBytes: 4 * 1024 * 1024 });
    const shards = readdirSync(legacySharded).filter((name) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(name));
    expect(shards.length).toBeGreaterThan(2);
    expect(existsSync(join(legacySharded, 'model.safetensors.index.json'))).toBe(true);
    expectSameOutputs(await convertAndRun(legacySharded), reference);

    const newerSharded = folder('newer-names-sharded');
    await rewriteCheckpoint(join(root, 'legacy'), newerSharded, {
      rename: newerParameterName,
      maxShardBytes: 4 * 1024 * 1024,
    });
    expectSameOutputs(await convertAndRun(newerSharded), reference);
  });

  it('nested-only config (text_config, rope_scaling type "default" with mrope_section, no head_dim)', async () => {
    const variant = folder('nested-config');
    await rewriteCheckpoint(join(root, 'legacy'), variant);
    editConfig(variant, nestedOnlyConfig);
    const config = readModelConfig(variant);
    expect(config.text.headDim).toBe(16);
    expect(config.text.tieWordEmbeddings).toBe(false);
    expectSameOutputs(await convertAndRun(variant), reference);
  });

  it('an untied lm_head equal to the embeddings gives the tied model', async () => {
    const tied = join(root, 'tied');
    await makeTinyCheckpoint(tied, { preset: 'tiny', seed: 7 });
    const untied = folder('tied-as-untied');
    await rewriteCheckpoint(tied, untied, { copies: { 'lm_head.weight': 'model.embed_tokens.weight' } });
    editConfig(untied, (config) => ({
      ...config,
      tie_word_embeddings: false,
      text_config: { ...(config.text_config as object), tie_word_embeddings: false },
    }));
    const tiedOutputs = await convertAndRun(tied);
    expectSameOutputs(await convertAndRun(untied), tiedOutputs);
    // And the untied reference really is another model (the head is not silently the embeddings).
    expect(maxAbsoluteDifference(tiedOutputs.logits, reference.logits)).toBeGreaterThan(1e-3);
  });
});
