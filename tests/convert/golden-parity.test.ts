// The bar: `shotvl convert tiny-a && shotvl parity` passes in fp32 — vision features and
// logits within 1e-4, identical argmax where the golden margin exceeds 1e-4, identical greedy tokens
// (free-running, and each next token when fed the reference's greedy tokens).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGoldenSet, needsMediaInputs } from '../../src/cli/parity/golden-set.js';
import { mediaInputs } from '../../src/cli/parity/media-inputs.js';
import { runParityCase, type CaseResult } from '../../src/cli/parity/run-parity.js';
import { PARITY_TOLERANCES } from '../../src/cli/parity/tolerances.js';
import { readModelConfig } from '../../src/model-format/read-model-config.js';
import { QwenOnnxSessions } from '../../src/runtime/qwen2-5-vl/onnx-sessions.js';
import { convertTinyA, TINY_A_DIR, type ConvertedModel } from '../helpers/converted-tiny-a.js';

describe('converted tiny-a against the Hugging Face goldens (fp32)', () => {
  let model: ConvertedModel;
  let sessions: QwenOnnxSessions;
  const results = new Map<string, CaseResult>();

  beforeAll(async () => {
    model = await convertTinyA(['fp32']);
    sessions = await QwenOnnxSessions.load(model.modelDir, readModelConfig(model.modelDir), { format: 'fp32' });
    const set = loadGoldenSet(TINY_A_DIR);
    // The fixture keeps the reference's pixel values as digests only, so every vision case runs the
    // whole pipeline from its media files (PNG -> resize -> pixel values -> logits -> tokens).
    for (const golden of set.cases) {
      const media = needsMediaInputs(golden) ? await mediaInputs(set, golden) : {};
      results.set(golden.name, await runParityCase(sessions, golden, PARITY_TOLERANCES.fp32, media));
    }
  });

  afterAll(async () => {
    await sessions?.release();
    model?.cleanup();
  });

  it.each(['image', 'text', 'video', 'batch2'])(
    'case %s: every stage within 1e-4 and greedy tokens identical',
    (name) => {
      const result = results.get(name);
      expect(result).toBeDefined();
      for (const stage of result!.stages) {
        expect
          .soft(stage.passed, `${name}: ${stage.stage} ${JSON.stringify(stage.error ?? stage.mismatches)}`)
          .toBe(true);
        if (stage.error !== undefined) expect(stage.error.maxAbsolute).toBeLessThanOrEqual(1e-4);
        if (stage.compared !== undefined) expect(stage.mismatches).toBe(0);
      }
      const stageNames = result!.stages.map((stage) => stage.stage);
      expect(stageNames).toContain('greedy tokens');
      expect(stageNames).toContain('next-token argmax (teacher-forced)');
      expect(stageNames).toContain('first decode step logits');
      expect(stageNames).toContain('prefill logits (last 3 positions)');
    },
  );

  it.each([
    ['image', 'pixel values (sha256 of the reference)'],
    ['video', 'video pixel values (sha256 of the reference)'],
    ['batch2', 'pixel values (sha256 of the reference)'],
  ])('case %s from its media files: %s match, then vision features within 1e-4', (name, digestStage) => {
    const result = results.get(name);
    expect(result).toBeDefined();
    const digest = result!.stages.find((stage) => stage.stage === digestStage);
    expect(digest, `${name} has no ${digestStage} stage`).toBeDefined();
    expect(digest!.passed).toBe(true);
    expect(result!.stages.find((stage) => stage.stage === 'vision features')?.error?.maxAbsolute).toBeLessThanOrEqual(
      1e-4,
    );
  });
});
