// `shotvl convert <checkpoint-dir | hf-repo-id> <out-dir> [--dtype fp32|fp16|q4|int8|q4-int8]...`
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { parseOrExplain } from '../usage-error.js';
import { TerminalProgressBar } from '../progress-bar.js';
import { convertCheckpoint, DEFAULT_Q4_SETTINGS } from '../../convert/convert-checkpoint.js';
import { describeConversionFailure } from '../../convert/describe-failure.js';
import { Q4_MIN_BLOCK_SIZE } from '../../convert/quantize-q4.js';
import { isWeightFormat, MIXED_CPU_FORMAT, type WeightFormat } from '../../model-format/model-files.js';
import { resolveCheckpoint, type ResolvedCheckpoint } from '../resolve-checkpoint.js';

const HELP = `usage: shotvl convert <checkpoint-dir | hf-repo-id> <out-dir> [options]

Converts a Hugging Face Qwen2.5-VL / ShotVL checkpoint (config.json + safetensors) into the
ONNX model folder the server loads. A repo id (e.g. Vchitect/ShotVL-3B) is downloaded first
(honours HF_ENDPOINT and HF_TOKEN; resumes interrupted downloads).

options:
  --dtype FORMAT         fp32, fp16, q4, int8, or q4-int8 (= q4 and int8); repeat or comma-separate
                         for several (default: q4-int8, what shotvl serve --device cpu loads)
  --q4-block-size N      int4 block size along K (default ${DEFAULT_Q4_SETTINGS.blockSize})
  --q4-accuracy-level N  MatMulNBits accuracy_level, 0-4 (default ${DEFAULT_Q4_SETTINGS.accuracyLevel})
  --q4-symmetric         symmetric int4 blocks (no zero points)
  --revision REV         hub revision for a repo id (default main)
  --overwrite            replace an existing output folder`;

function parseCommandLine(argv: string[]) {
  return parseOrExplain(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          dtype: { type: 'string', multiple: true },
          'q4-block-size': { type: 'string' },
          'q4-accuracy-level': { type: 'string' },
          'q4-symmetric': { type: 'boolean' },
          revision: { type: 'string' },
          overwrite: { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    HELP,
  );
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv);
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [source, outputDir, ...extra] = positionals;
  if (source === undefined || outputDir === undefined || extra.length > 0)
    throw new CliError(`expected <checkpoint-dir | hf-repo-id> <out-dir>\n\n${HELP}`, 2);
  const formats = parseFormats(values.dtype ?? [MIXED_CPU_FORMAT]);
  const q4 = {
    blockSize: parseInteger(values['q4-block-size'], DEFAULT_Q4_SETTINGS.blockSize, '--q4-block-size'),
    accuracyLevel: parseInteger(values['q4-accuracy-level'], DEFAULT_Q4_SETTINGS.accuracyLevel, '--q4-accuracy-level'),
    symmetric: values['q4-symmetric'] ?? DEFAULT_Q4_SETTINGS.symmetric,
  };
  // Checked here so a bad flag fails at once, not after minutes of converting the fp32 variant.
  if (q4.blockSize < Q4_MIN_BLOCK_SIZE || (q4.blockSize & (q4.blockSize - 1)) !== 0) {
    throw new CliError(`--q4-block-size ${q4.blockSize}: expected a power of two >= ${Q4_MIN_BLOCK_SIZE}`, 2);
  }
  if (q4.accuracyLevel > 4) throw new CliError(`--q4-accuracy-level ${q4.accuracyLevel}: expected 0 to 4`, 2);
  const progress = new TerminalProgressBar();
  // Ctrl-C stops between tensors, so the temporary folder is removed instead of left behind.
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  let checkpoint: ResolvedCheckpoint | undefined;
  try {
    checkpoint = await resolveCheckpoint(source, { revision: values.revision, progress, signal: controller.signal });
    const started = Date.now();
    const result = await convertCheckpoint({
      checkpointDir: checkpoint.directory,
      outputDir,
      formats,
      q4,
      overwrite: values.overwrite ?? false,
      sourceDescription: checkpoint.description,
      progress,
      signal: controller.signal,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `converted ${source} -> ${result.outputDir} (${formats.join(', ')}) in ${seconds} s; manifest ${join(result.outputDir, 'shotvl.json')}\n`,
    );
    return 0;
  } catch (error) {
    if (controller.signal.aborted) throw new CliError('interrupted; no output was written', 130);
    const message = describeConversionFailure(error, { checkpointDir: checkpoint?.directory });
    if (message !== undefined) throw new CliError(message);
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

function parseFormats(values: string[]): WeightFormat[] {
  const formats = values
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .flatMap((value) => (value === MIXED_CPU_FORMAT ? ['q4', 'int8'] : [value]));
  for (const format of formats)
    if (!isWeightFormat(format))
      throw new CliError(`--dtype ${format}: expected fp32, fp16, q4, int8 or ${MIXED_CPU_FORMAT}`, 2);
  return [...new Set(formats)] as WeightFormat[];
}

function parseInteger(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new CliError(`${flag} ${value}: expected a non-negative integer`, 2);
  return parsed;
}
