// `shotvl convert <checkpoint-dir | hf-repo-id> <out-dir> [--dtype fp32|fp16|q4]...`
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { TerminalProgressBar } from '../progress-bar.js';
import { convertCheckpoint, DEFAULT_Q4_SETTINGS } from '../../convert/convert-checkpoint.js';
import { describeConversionFailure } from '../../convert/describe-failure.js';
import { isWeightFormat, type WeightFormat } from '../../model-format/model-files.js';
import { resolveCheckpoint } from '../resolve-checkpoint.js';

const HELP = `usage: shotvl convert <checkpoint-dir | hf-repo-id> <out-dir> [options]

Converts a Hugging Face Qwen2.5-VL / ShotVL checkpoint (config.json + safetensors) into the
ONNX model folder the server loads. A repo id (e.g. Vchitect/ShotVL-3B) is downloaded first
(honours HF_ENDPOINT and HF_TOKEN; resumes interrupted downloads).

options:
  --dtype fp32|fp16|q4   weight format; repeat or comma-separate for several (default: q4)
  --q4-block-size N      int4 block size along K (default ${DEFAULT_Q4_SETTINGS.blockSize})
  --q4-accuracy-level N  MatMulNBits accuracy_level, 0-4 (default ${DEFAULT_Q4_SETTINGS.accuracyLevel})
  --q4-symmetric         symmetric int4 blocks (no zero points)
  --revision REV         hub revision for a repo id (default main)
  --overwrite            replace an existing output folder`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
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
  });
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [source, outputDir] = positionals;
  if (source === undefined || outputDir === undefined) throw new CliError(`expected <checkpoint-dir | hf-repo-id> <out-dir>\n\n${HELP}`, 2);
  const formats = parseFormats(values.dtype ?? ['q4']);
  const q4 = {
    blockSize: parseInteger(values['q4-block-size'], DEFAULT_Q4_SETTINGS.blockSize, '--q4-block-size'),
    accuracyLevel: parseInteger(values['q4-accuracy-level'], DEFAULT_Q4_SETTINGS.accuracyLevel, '--q4-accuracy-level'),
    symmetric: values['q4-symmetric'] ?? DEFAULT_Q4_SETTINGS.symmetric,
  };
  const progress = new TerminalProgressBar();
  const checkpoint = await resolveCheckpoint(source, { revision: values.revision, progress });
  const started = Date.now();
  try {
    const result = await convertCheckpoint({
      checkpointDir: checkpoint.directory,
      outputDir,
      formats,
      q4,
      overwrite: values.overwrite ?? false,
      sourceDescription: checkpoint.description,
      progress,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`converted ${source} -> ${result.outputDir} (${formats.join(', ')}) in ${seconds} s; manifest ${join(result.outputDir, 'shotvl.json')}\n`);
    return 0;
  } catch (error) {
    const message = describeConversionFailure(error);
    if (message !== undefined) throw new CliError(message);
    throw error;
  }
}

function parseFormats(values: string[]): WeightFormat[] {
  const formats = values.flatMap((value) => value.split(',')).map((value) => value.trim());
  for (const format of formats) if (!isWeightFormat(format)) throw new CliError(`--dtype ${format}: expected fp32, fp16 or q4`, 2);
  return [...new Set(formats)] as WeightFormat[];
}

function parseInteger(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new CliError(`${flag} ${value}: expected a non-negative integer`, 2);
  return parsed;
}

export function looksLikeLocalPath(source: string): boolean {
  return existsSync(source) || source.startsWith('.') || source.startsWith('/');
}
