// `shotvl parity`: how far a converted model's formats are from a reference, stage by stage. Against
// a golden set (Hugging Face outputs, tests/fixtures/golden/tiny-a) it checks each format against
// its tolerance and exits 1 outside it; with --reference it measures each format against the same
// checkpoint's own conversion in the reference format (fp32), for models without goldens (3b preset).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { parseOrExplain } from '../usage-error.js';
import { loadGoldenSet, needsMediaInputs } from '../parity/golden-set.js';
import { runParityCase, type CaseResult } from '../parity/run-parity.js';
import { formatParityReport } from '../parity/parity-report.js';
import { mediaInputs } from '../parity/media-inputs.js';
import { PARITY_TOLERANCES } from '../parity/tolerances.js';
import {
  DEFAULT_CONTINUATION_STEPS,
  DEFAULT_TEST_CARD_SIZE,
  referencePromptNames,
} from '../parity/reference-inputs.js';
import { runReferenceParity } from '../parity/reference-parity.js';
import { formatReferenceReport, referenceFailures } from '../parity/reference-report.js';
import { availableLoadFormats, isLoadFormat, LOAD_FORMATS, type LoadFormat } from '../../model-format/model-files.js';
import { readModelConfig } from '../../model-format/read-model-config.js';
import { QwenOnnxSessions } from '../../runtime/qwen2-5-vl/onnx-sessions.js';

const FORMATS = LOAD_FORMATS.join('|');

const HELP = `usage: shotvl parity <model-dir> <golden-set-dir> [--dtype FORMATS] [--case NAME] [--from-media]
       shotvl parity <model-dir> --reference FORMAT [--reference-dir DIR] [--dtype FORMATS]
                     [--steps N] [--image-size WxH] [--case NAME]

FORMATS is one of ${FORMATS} or a comma-separated list of them.

Against a golden set: runs every case of the set (cases/meta.json) through the converted model and
prints the largest absolute and relative error and the cosine per stage: vision features,
embeddings, M-RoPE positions, prefill logits, the first decode step, next-token argmax agreement
(teacher-forced on the reference's greedy tokens), greedy tokens with and without repetition
penalty 1.05. Exits 1 if a stage is outside the tolerance for the weight format. --dtype defaults
to the folder's first format. --from-media recomputes the pixel values from each case's media files
(PNG sources resized as its qwen-vl-utils element says, or its video frames) instead of using the
stored arrays; cases that store only the sha256 of their pixel values are always run from their
media files, and the digest is checked.

Against a reference format (--reference fp32): for a model without goldens, compares each format
with the same checkpoint's FORMAT graphs, which sit in <model-dir> or in --reference-dir DIR (a
conversion of the same checkpoint). The inputs are fixed: a synthetic test card (--image-size,
default ${DEFAULT_TEST_CARD_SIZE.width}x${DEFAULT_TEST_CARD_SIZE.height}), a question about it and a text-only one whose greedy continuation
of --steps tokens (default ${DEFAULT_CONTINUATION_STEPS}) each format is fed (teacher forcing), a ShotBench question with
options A-D and the seven questions /analyze-shot asks about a still. Reported per format: vision
features, answer-position logits and decode-step logits (max abs, max rel, cosine), next-token
argmax agreement, and agreement of the option letter /analyze-shot's constrained choice picks.
Formats run as served (q4-int8: int8 vision and prefill, q4 decode), one loaded at a time. --dtype
defaults to every format of <model-dir> but the reference's own. Measurements, not thresholds: exits
0 unless a value is not finite. --case NAME (repeatable) picks prompts: ${referencePromptNames().join(', ')}.`;

type Values = Record<string, string | boolean | string[] | undefined>;

function usage(message: string): CliError {
  return new CliError(`${message}\n\n${HELP}`, 2);
}

function parseFormats(text: string | undefined, flag: string): LoadFormat[] | undefined {
  if (text === undefined) return undefined;
  const formats = text.split(',').map((format) => format.trim());
  const unknown = formats.filter((format) => !isLoadFormat(format));
  if (unknown.length > 0 || formats.length === 0)
    throw new CliError(
      `${flag} must be one of ${LOAD_FORMATS.join(', ')} or a comma-separated list (got '${text}')`,
      2,
    );
  return [...new Set(formats as LoadFormat[])];
}

function requireFormats(folder: string, formats: readonly LoadFormat[]): void {
  const available = availableLoadFormats(folder);
  for (const format of formats)
    if (!available.includes(format))
      throw new CliError(`${folder} has no complete ${format} model (it has: ${available.join(', ') || 'none'})`, 2);
}

function positiveInteger(text: string, flag: string, maximum: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > maximum)
    throw new CliError(`${flag} must be an integer from 1 to ${maximum} (got '${text}')`, 2);
  return value;
}

function imageSize(text: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(text);
  const [width, height] = [Number(match?.[1]), Number(match?.[2])];
  if (match === null || width < 28 || height < 28 || width > 4096 || height > 4096)
    throw new CliError(`--image-size must be WIDTHxHEIGHT, each from 28 to 4096 (got '${text}')`, 2);
  return { width, height };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrExplain(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          dtype: { type: 'string' },
          case: { type: 'string', multiple: true },
          'from-media': { type: 'boolean' },
          reference: { type: 'string' },
          'reference-dir': { type: 'string' },
          steps: { type: 'string' },
          'image-size': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    HELP,
  );
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  return values.reference === undefined ? goldenParity(values, positionals) : referenceParity(values, positionals);
}

async function goldenParity(values: Values, positionals: string[]): Promise<number> {
  const onlyWithReference = ['reference-dir', 'steps', 'image-size'].filter((flag) => values[flag] !== undefined);
  if (onlyWithReference.length > 0) throw usage(`--${onlyWithReference[0]} needs --reference`);
  const [modelDir, goldenDir, extra] = positionals;
  if (modelDir === undefined || goldenDir === undefined)
    throw usage('expected <model-dir> <golden-set-dir>, or <model-dir> --reference FORMAT');
  if (extra !== undefined) throw usage(`unexpected argument '${extra}'`);
  const formats =
    parseFormats(values.dtype as string | undefined, '--dtype') ?? availableLoadFormats(modelDir).slice(0, 1);
  if (formats.length === 0) throw new CliError(`${modelDir} has no complete model in any format`, 2);
  requireFormats(modelDir, formats);
  const config = readModelConfig(modelDir);
  const golden = loadGoldenSet(goldenDir);
  const cases = values.case as string[] | undefined;
  const unknown = (cases ?? []).filter((name) => !golden.cases.some((item) => item.name === name));
  if (unknown.length > 0)
    throw usage(
      `${goldenDir} has no case '${unknown[0]}' (it has: ${golden.cases.map((item) => item.name).join(', ')})`,
    );
  const selected = cases === undefined ? golden.cases : golden.cases.filter((item) => cases.includes(item.name));
  const fromMedia = values['from-media'] === true;
  let passed = true;
  for (const format of formats) {
    const tolerance = PARITY_TOLERANCES[format];
    const sessions = await QwenOnnxSessions.load(modelDir, config, { format });
    try {
      const results: CaseResult[] = [];
      for (const item of selected) {
        // A trimmed set keeps only the digest of its pixel values: those cases always start from media.
        const media = fromMedia || needsMediaInputs(item) ? await mediaInputs(golden, item) : {};
        results.push(await runParityCase(sessions, item, tolerance, media));
      }
      const header = `parity of ${modelDir} (${format}) against ${goldenDir}${fromMedia ? ' from media files' : ''}; tolerance: abs ${tolerance.absolute}, argmax where margin > ${tolerance.argmaxMargin}, greedy ${tolerance.exactGreedy ? 'identical' : 'reported'}`;
      process.stdout.write(`${formatParityReport(results, header)}\n`);
      passed &&= results.every((result) => result.stages.every((stage) => stage.passed));
    } finally {
      await sessions.release();
    }
  }
  return passed ? 0 : 1;
}

async function referenceParity(values: Values, positionals: string[]): Promise<number> {
  if (values['from-media'] === true) throw usage('--from-media applies to golden sets, not to --reference');
  const [modelDir, extra] = positionals;
  if (modelDir === undefined) throw usage('expected <model-dir> --reference FORMAT');
  if (extra !== undefined)
    throw usage(
      `with --reference, give only <model-dir> (the reference graphs are its own or --reference-dir's), not '${extra}'`,
    );
  const referenceFormat = parseFormats(values.reference as string, '--reference')!;
  if (referenceFormat.length !== 1) throw usage('--reference takes one format');
  const reference = referenceFormat[0]!;
  const referenceDir = (values['reference-dir'] as string | undefined) ?? modelDir;
  const sameFolder = resolve(referenceDir) === resolve(modelDir);
  requireFormats(referenceDir, [reference]);
  const formats =
    parseFormats(values.dtype as string | undefined, '--dtype') ??
    availableLoadFormats(modelDir).filter((format) => !(sameFolder && format === reference));
  if (formats.length === 0) throw usage(`${modelDir} has no format to compare with its ${reference} graphs`);
  requireFormats(modelDir, formats);
  const cases = values.case as string[] | undefined;
  const names = referencePromptNames();
  const unknown = (cases ?? []).filter((name) => !names.includes(name));
  if (unknown.length > 0) throw usage(`--case: no prompt '${unknown[0]}' (the prompts: ${names.join(', ')})`);
  const steps =
    values.steps === undefined ? DEFAULT_CONTINUATION_STEPS : positiveInteger(values.steps as string, '--steps', 1024);
  const image = values['image-size'] === undefined ? DEFAULT_TEST_CARD_SIZE : imageSize(values['image-size'] as string);
  const result = await runReferenceParity({
    modelDir: resolve(modelDir),
    referenceDir: resolve(referenceDir),
    referenceFormat: reference,
    formats,
    steps,
    image,
    ...(cases === undefined ? {} : { cases }),
    onProgress: (message) => process.stderr.write(`parity: ${message}\n`),
  });
  const grid = result.inputs.image.gridThw;
  const header = `parity of ${modelDir} (${formats.join(', ')}) against ${reference} of ${referenceDir}: ${result.inputs.prompts.length} prompts, test card ${image.width}x${image.height} (grid ${grid.join('x')}), next-token argmax over the reference's greedy continuation of ${steps} tokens, fed to each format`;
  process.stdout.write(`${formatReferenceReport({ header, ...result })}\n`);
  return referenceFailures(result.comparisons).length === 0 ? 0 : 1;
}
