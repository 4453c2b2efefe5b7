// Converts the golden tiny-a checkpoint (tests/fixtures/golden/tiny-a/model) into a temporary
// folder. Only the parity tests need it: the reference numbers were made on its exact weights.
// Tests that just need a tiny model use tinyModelDir() (tiny-model.ts), built once per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../../src/convert/convert-checkpoint.js';
import type { WeightFormat } from '../../src/model-format/model-files.js';
import type { Q4Settings } from '../../src/convert/qwen2-5-vl/weight-format.js';
import { fixturePath } from './fixtures.js';

export const TINY_A_DIR = fixturePath('golden', 'tiny-a');

export interface ConvertedModel {
  modelDir: string;
  cleanup(): void;
}

export async function convertTinyA(formats: WeightFormat[] = ['fp32'], q4?: Q4Settings): Promise<ConvertedModel> {
  const parent = mkdtempSync(join(tmpdir(), 'shotvl-tiny-a-'));
  const modelDir = join(parent, 'model');
  await convertCheckpoint({
    checkpointDir: fixturePath('golden', 'tiny-a', 'model'),
    outputDir: modelDir,
    formats,
    ...(q4 === undefined ? {} : { q4 }),
  });
  return { modelDir, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}
