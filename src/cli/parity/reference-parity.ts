// `shotvl parity --reference`: where no Hugging Face goldens exist (the 3b preset's random weights),
// the reference is the same checkpoint's own conversion in another format (fp32). The reference runs
// first and only its outputs are kept (a few tens of MB); then each format is loaded, run, compared
// and released in turn, so the memory peak is the largest single format.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadFormat } from '../../model-format/model-files.js';
import { readModelConfig } from '../../model-format/read-model-config.js';
import { CliError } from '../cli-error.js';
import { compareFormatRuns, type FormatComparison } from './reference-compare.js';
import { buildReferenceInputs, type ReferenceInputs } from './reference-inputs.js';
import { runFormat } from './reference-run.js';

export interface ReferenceParityOptions {
  modelDir: string;
  /** The folder holding the reference format's graphs (may be modelDir). */
  referenceDir: string;
  referenceFormat: LoadFormat;
  formats: readonly LoadFormat[];
  steps: number;
  image: { width: number; height: number };
  /** Only these prompts (names of referencePromptNames()). */
  cases?: readonly string[];
  onProgress?: (message: string) => void;
}

export interface ReferenceParityResult {
  inputs: ReferenceInputs;
  reference: { format: LoadFormat; seconds: number };
  comparisons: (FormatComparison & { seconds: number })[];
}

/** Both folders must hold the same model: the same config.json (shapes, token ids). */
function checkSameModel(modelDir: string, referenceDir: string): void {
  if (modelDir === referenceDir) return;
  const read = (folder: string) => JSON.stringify(JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')));
  if (read(modelDir) !== read(referenceDir))
    throw new CliError(`${modelDir} and ${referenceDir} are not the same model: their config.json files differ`, 2);
}

export async function runReferenceParity(options: ReferenceParityOptions): Promise<ReferenceParityResult> {
  checkSameModel(options.modelDir, options.referenceDir);
  const config = readModelConfig(options.referenceDir);
  const progress = options.onProgress;
  const inputs = await buildReferenceInputs(options.referenceDir, config, {
    ...options.image,
    steps: options.steps,
    ...(options.cases === undefined ? {} : { cases: options.cases }),
  });
  const reference = await runFormat(options.referenceDir, config, options.referenceFormat, inputs, {
    ...(progress === undefined ? {} : { onProgress: (message) => progress(`reference ${message}`) }),
  });
  const comparisons: ReferenceParityResult['comparisons'] = [];
  for (const format of options.formats) {
    const run = await runFormat(options.modelDir, config, format, inputs, {
      teacher: reference.prompts,
      ...(progress === undefined ? {} : { onProgress: progress }),
    });
    comparisons.push({ ...compareFormatRuns(run, reference), seconds: run.seconds });
  }
  return { inputs, reference: { format: reference.format, seconds: reference.seconds }, comparisons };
}
