// Converts the golden tiny-a checkpoint once per test file into a temporary folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../../src/convert/convert-checkpoint.js';
import type { WeightFormat } from '../../src/model-format/model-files.js';
import { sharedPath } from './shared-dir.js';

export const GOLDEN_DIR = sharedPath('golden');
export const TINY_A_DIR = join(GOLDEN_DIR, 'tiny-a');

export interface ConvertedModel {
  modelDir: string;
  cleanup(): void;
}

export async function convertTinyA(formats: WeightFormat[] = ['fp32']): Promise<ConvertedModel> {
  const parent = mkdtempSync(join(tmpdir(), 'shotvl-tiny-a-'));
  const modelDir = join(parent, 'model');
  await convertCheckpoint({ checkpointDir: join(TINY_A_DIR, 'model'), outputDir: modelDir, formats });
  return { modelDir, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}
