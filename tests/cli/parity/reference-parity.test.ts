// `shotvl parity --reference` on the tiny model: the fp32 graphs against themselves measure no error
// and agree everywhere; q4, int8 and q4-int8 (the same checkpoint converted into another folder)
// measure a non-zero error, and q4-int8 runs as served: its vision features and prompt logits are
// the int8 graphs' own, its decode steps the q4 graph's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReferenceParity, type ReferenceParityResult } from '../../../src/cli/parity/reference-parity.js';
import type { FormatSummary } from '../../../src/cli/parity/reference-compare.js';
import { formatReferenceReport } from '../../../src/cli/parity/reference-report.js';
import { convertCheckpoint } from '../../../src/convert/convert-checkpoint.js';
import { makeTinyCheckpoint } from '../../../src/convert/make-tiny.js';
import { TINY_MODEL_SEED } from '../../helpers/tiny-model-build.js';
import { tinyModelDir } from '../../helpers/tiny-model.js';

const CASES = ['describe the test card', 'text only', 'ShotBench shot size (A-D)', 'analyze-shot lens size'];
const STEPS = 5;
const IMAGE = { width: 224, height: 168 };

function summaryOf(result: ReferenceParityResult, format: string): FormatSummary {
  const found = result.comparisons.find((comparison) => comparison.summary.format === format);
  expect(found, format).toBeDefined();
  return found!.summary;
}

describe('parity against the fp32 graphs of the same checkpoint', () => {
  const fp32Dir = tinyModelDir();
  let scratch: string;
  let quantizedDir: string;
  let itself: ReferenceParityResult;
  let quantized: ReferenceParityResult;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'shotvl-reference-parity-'));
    // The same deterministic checkpoint as the tiny test model, converted to the quantized formats only.
    await makeTinyCheckpoint(join(scratch, 'checkpoint'), { preset: 'tiny', seed: TINY_MODEL_SEED });
    quantizedDir = join(scratch, 'model');
    await convertCheckpoint({
      checkpointDir: join(scratch, 'checkpoint'),
      outputDir: quantizedDir,
      formats: ['q4', 'int8'],
    });
    const common = { referenceFormat: 'fp32' as const, steps: STEPS, image: IMAGE, cases: CASES };
    itself = await runReferenceParity({ ...common, modelDir: fp32Dir, referenceDir: fp32Dir, formats: ['fp32'] });
    quantized = await runReferenceParity({
      ...common,
      modelDir: quantizedDir,
      referenceDir: fp32Dir,
      formats: ['q4', 'int8', 'q4-int8'],
    });
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('builds the fixed inputs: the test card, choice letters as single tokens, a shared image prefix', () => {
    const { inputs } = itself;
    expect(inputs.prompts.map((prompt) => prompt.name)).toEqual(CASES);
    expect(inputs.image.gridThw).toEqual([1, 12, 16]);
    const shotbench = inputs.prompts.find((prompt) => prompt.name === 'ShotBench shot size (A-D)')!;
    expect(shotbench.choice?.letters).toEqual(['A', 'B', 'C', 'D']);
    expect(new Set(shotbench.choice?.tokenIds).size).toBe(4);
    // System prompt and test card come first in every image prompt: the later ones restore them.
    const imagePad = 151655;
    const lastPad = shotbench.tokenIds.lastIndexOf(imagePad);
    expect(inputs.sharedImagePrefix % 16).toBe(0);
    expect(inputs.sharedImagePrefix).toBeGreaterThan(lastPad - 16);
    expect(inputs.sharedImagePrefix).toBeLessThan(shotbench.tokenIds.length);
  });

  it('fp32 against itself: zero error and full agreement at every stage', () => {
    const [comparison] = itself.comparisons;
    for (const result of comparison!.cases)
      for (const stage of result.stages) {
        if (stage.error !== undefined) {
          expect.soft(stage.error.maxAbsolute, `${result.name}: ${stage.stage}`).toBe(0);
          expect.soft(stage.error.cosine, `${result.name}: ${stage.stage}`).toBeCloseTo(1, 12);
        }
        if (stage.compared !== undefined) expect.soft(stage.mismatches, `${result.name}: ${stage.stage}`).toBe(0);
      }
    const summary = summaryOf(itself, 'fp32');
    expect(summary.visionFeatures?.maxAbsolute).toBe(0);
    expect(summary.prefillLogits.maxAbsolute).toBe(0);
    expect(summary.decodeLogits?.maxAbsolute).toBe(0);
    // Two continuations of STEPS positions, and the answer position of each choice prompt.
    expect(summary.nextToken).toEqual({ agree: 2 * STEPS + 2, compared: 2 * STEPS + 2 });
    expect(summary.optionLetters).toEqual({ agree: 2, compared: 2 });
    expect(summary.optionProbabilities?.maxAbsolute).toBe(0);
  });

  it('q4 against fp32: a non-zero error on vision features and on prompt and decode logits', () => {
    const summary = summaryOf(quantized, 'q4');
    for (const [name, error] of Object.entries({
      vision: summary.visionFeatures,
      prefill: summary.prefillLogits,
      decode: summary.decodeLogits,
    })) {
      expect(error, name).toBeDefined();
      expect(error!.maxAbsolute, name).toBeGreaterThan(1e-3);
      expect(error!.maxRelative, name).toBeGreaterThan(0);
      expect(error!.cosine, name).toBeLessThan(1);
      expect(Number.isFinite(error!.maxAbsolute), name).toBe(true);
    }
    expect(summary.nextToken.compared).toBe(2 * STEPS + 2);
    expect(summary.optionLetters.compared).toBe(2);
    expect(summary.optionProbabilities!.maxAbsolute).toBeGreaterThan(0);
  });

  it('int8 is closer to fp32 than q4 on vision features and prompt logits', () => {
    const [q4, int8] = [summaryOf(quantized, 'q4'), summaryOf(quantized, 'int8')];
    expect(int8.visionFeatures!.maxAbsolute).toBeLessThan(q4.visionFeatures!.maxAbsolute);
    expect(int8.prefillLogits.maxAbsolute).toBeLessThan(q4.prefillLogits.maxAbsolute);
  });

  it('q4-int8 runs as served: int8 vision and prefill, q4 decode steps', () => {
    const [int8, mix] = [summaryOf(quantized, 'int8'), summaryOf(quantized, 'q4-int8')];
    expect(mix.visionFeatures).toEqual(int8.visionFeatures);
    expect(mix.prefillLogits).toEqual(int8.prefillLogits);
    expect(mix.decodeLogits!.maxAbsolute).not.toBe(int8.decodeLogits!.maxAbsolute);
  });

  it('reports each format and a summary table row', () => {
    const report = formatReferenceReport({ header: 'header', ...quantized });
    expect(report).toContain('format q4-int8');
    expect(report).toContain('option letter (A-D)');
    expect(report).toMatch(/^\| q4 \| [\d.e+-]+ \/ [\d.e+-]+ \/ 0\.\d{4} \|/m);
    expect(report).toMatch(/parity: 3 format\(s\) measured against fp32/);
  });
});
