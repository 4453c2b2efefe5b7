// The int8 format and the q4-int8 mix (int8 vision and prefill, q4 decode) against the Hugging Face
// goldens of tiny-a, beside q4: every stage within its format's tolerance, and the int8 vision
// tower and prefill logits closer to the reference than q4's (8-bit per-channel weights against
// 4-bit blocks). The mix must actually run two decoder graphs: its multi-token steps must give the
// int8 graph's logits and its single-token steps the q4 graph's.
import type { Q4Settings } from '../../src/convert/qwen2-5-vl/weight-format.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGoldenSet, needsMediaInputs } from '../../src/cli/parity/golden-set.js';
import { mediaInputs } from '../../src/cli/parity/media-inputs.js';
import { runParityCase, type CaseResult, type MediaOverride } from '../../src/cli/parity/run-parity.js';
import { PARITY_TOLERANCES } from '../../src/cli/parity/tolerances.js';
import { compareArrays } from '../../src/cli/parity/error-stats.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/convert/manifest.js';
import { availableLoadFormats, type LoadFormat } from '../../src/model-format/model-files.js';
import { readModelConfig } from '../../src/model-format/read-model-config.js';
import { PREFILL_GRAPH_MIN_TOKENS, QwenOnnxSessions } from '../../src/runtime/qwen2-5-vl/onnx-sessions.js';
import { convertTinyA, TINY_A_DIR, type ConvertedModel } from '../helpers/converted-tiny-a.js';

const FORMATS: LoadFormat[] = ['q4', 'int8', 'q4-int8'];
const TOLERANCE_Q4_SETTINGS: Q4Settings = { blockSize: 32, accuracyLevel: 4, symmetric: false };

function stageError(result: CaseResult, stage: string): number {
  const found = result.stages.find((entry) => entry.stage.startsWith(stage));
  expect(found?.error, `${result.name}: ${stage}`).toBeDefined();
  return found!.error!.maxAbsolute;
}

describe('int8 and q4-int8 against the tiny-a goldens', () => {
  let model: ConvertedModel;
  const results = new Map<LoadFormat, CaseResult[]>();
  const summary: string[] = [];

  beforeAll(async () => {
    // The q4 tolerances were set for block 32. tiny-a's rows are only 64-128 weights long, so the
    // default block of 128 would be one scale per row here, far coarser than on ShotVL's
    // 1,280-11,008-long rows; the tolerance check pins the block it was calibrated on.
    model = await convertTinyA(['q4', 'int8'], TOLERANCE_Q4_SETTINGS);
    const config = readModelConfig(model.modelDir);
    const set = loadGoldenSet(TINY_A_DIR);
    const golden = set.cases.filter((item) => item.name === 'image');
    // The fixture keeps pixel values as digests: the cases start from their media files.
    const media = new Map<string, MediaOverride>();
    for (const item of golden) media.set(item.name, needsMediaInputs(item) ? await mediaInputs(set, item) : {});
    for (const format of FORMATS) {
      const sessions = await QwenOnnxSessions.load(model.modelDir, config, { format });
      try {
        const cases: CaseResult[] = [];
        for (const item of golden)
          cases.push(await runParityCase(sessions, item, PARITY_TOLERANCES[format], media.get(item.name)));
        results.set(format, cases);
      } finally {
        await sessions.release();
      }
    }
  });

  afterAll(() => {
    if (summary.length > 0) console.info(`max abs error vs Hugging Face fp32\n${summary.join('\n')}`);
    model?.cleanup();
  });

  it('the manifest names the formats and what each load format opens', () => {
    const manifest = JSON.parse(readFileSync(join(model.modelDir, 'shotvl.json'), 'utf8')) as Manifest;
    expect(manifest.weight_formats).toEqual(['q4', 'int8']);
    expect(manifest.int8?.operator).toBe('com.microsoft.DynamicQuantizeMatMul');
    expect(manifest.load_formats['q4-int8']).toEqual({ embed: 'q4', vision: 'int8', prefill: 'int8', decode: 'q4' });
    expect(Object.keys(manifest.load_formats).sort()).toEqual(['int8', 'q4', 'q4-int8']);
    expect(availableLoadFormats(model.modelDir)).toEqual(['q4', 'int8', 'q4-int8']);
  });

  it.each(FORMATS)('%s: every stage within its tolerance', (format) => {
    for (const result of results.get(format)!) {
      for (const stage of result.stages)
        expect.soft(stage.passed, `${format} ${result.name}: ${stage.stage} ${JSON.stringify(stage.error)}`).toBe(true);
    }
  });

  it('int8 vision features and prefill logits are closer to the reference than q4', () => {
    for (const [index, q4Case] of results.get('q4')!.entries()) {
      const int8Case = results.get('int8')![index]!;
      const mixCase = results.get('q4-int8')![index]!;
      const line = (stage: string) =>
        `${stage}: q4 ${stageError(q4Case, stage).toExponential(2)}, int8 ${stageError(int8Case, stage).toExponential(2)}, q4-int8 ${stageError(mixCase, stage).toExponential(2)}`;
      summary.push(`  ${q4Case.name} ${line('vision features')}; ${line('prefill logits (last')}`);
      expect(stageError(int8Case, 'vision features')).toBeLessThan(stageError(q4Case, 'vision features'));
      expect(stageError(int8Case, 'prefill logits (last')).toBeLessThan(stageError(q4Case, 'prefill logits (last'));
      // The mix encodes and prefills with the int8 graphs.
      expect(stageError(mixCase, 'vision features')).toBe(stageError(int8Case, 'vision features'));
      expect(stageError(mixCase, 'prefill logits (last')).toBe(stageError(int8Case, 'prefill logits (last'));
    }
  });

  it('q4-int8 runs multi-token steps on the int8 decoder and single tokens on the q4 decoder', async () => {
    const config = readModelConfig(model.modelDir);
    const open = (format: LoadFormat) => QwenOnnxSessions.load(model.modelDir, config, { format });
    const [mix, q4, int8] = await Promise.all([open('q4-int8'), open('q4'), open('int8')]);
    try {
      expect(mix.decoderFor(1)).toBe('decode');
      expect(mix.decoderFor(PREFILL_GRAPH_MIN_TOKENS)).toBe('prefill');
      expect(q4.decoderFor(PREFILL_GRAPH_MIN_TOKENS)).toBe('decode');
      const hidden = config.text.hiddenSize;
      const step = async (sessions: QwenOnnxSessions, tokens: number) => {
        const positions = new BigInt64Array(3 * tokens).map((_, index) => BigInt(index % tokens));
        const embeds = new Float32Array(tokens * hidden).map((_, index) => Math.sin(index) * 0.5);
        const result = await sessions.decode({
          embeds,
          batchSize: 1,
          sequenceLength: tokens,
          attentionMask: new BigInt64Array(tokens).fill(1n),
          positionIds: positions,
          past: sessions.emptyCache(1),
          logitsToKeep: 1,
        });
        return result.logits;
      };
      for (const tokens of [1, PREFILL_GRAPH_MIN_TOKENS]) {
        const mixed = await step(mix, tokens);
        const expected = tokens === 1 ? await step(q4, tokens) : await step(int8, tokens);
        const other = tokens === 1 ? await step(int8, tokens) : await step(q4, tokens);
        expect(compareArrays(mixed, expected).maxAbsolute).toBe(0);
        expect(compareArrays(mixed, other).maxAbsolute).toBeGreaterThan(0);
      }
    } finally {
      await Promise.all([mix.release(), q4.release(), int8.release()]);
    }
  });
});
