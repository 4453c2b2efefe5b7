// `shotvl make-tiny <out-dir> [--preset tiny|small|3b] [--seed N]`: writes a deterministic random
// Qwen2.5-VL checkpoint in the Hugging Face layout, for tests and benchmarks without the real weights.
import { parseArgs } from 'node:util';
import { CliError } from '../cli-error.js';
import { parseOrExplain } from '../usage-error.js';
import { TerminalProgressBar } from '../progress-bar.js';
import { CheckpointError } from '../../convert/checkpoint-error.js';
import { makeTinyCheckpoint } from '../../convert/make-tiny.js';
import { PRESET_NAMES } from '../../convert/tiny-presets.js';
import type { PresetName } from '../../convert/tiny-presets.js';

const HELP = `usage: shotvl make-tiny <out-dir> [--preset tiny|small|3b] [--seed N] [--untied] [--max-shard-size MB] [--force]

Writes a random Qwen2.5-VL checkpoint (config.json, preprocessor_config.json, generation_config.json,
tokenizer files, BF16 model.safetensors with the legacy parameter names). The same preset and seed
always give the same bytes.

  --preset          tiny  (default) the shapes of the golden tiny-a model, ~20 MB
                    small Qwen2.5-0.5B-wide text (8 layers) + small vision tower, ~0.6 GB
                    3b    the exact shapes of ShotVL-3B / Qwen2.5-VL-3B-Instruct, ~7.5 GB
  --seed N          random seed (non-negative integer, default 0)
  --untied          separate lm_head.weight instead of tied embeddings (as 7B checkpoints have)
  --max-shard-size  split the weights into shards of at most this many MB, with an index file
  --force           replace <out-dir> if it exists`;

function parseNonNegativeInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new CliError(`${option} must be a non-negative integer, got '${text}'`, 2);
  return Number(text);
}

function parseCommandLine(argv: string[]) {
  return parseOrExplain(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          preset: { type: 'string', default: 'tiny' },
          seed: { type: 'string' },
          untied: { type: 'boolean', default: false },
          'max-shard-size': { type: 'string' },
          force: { type: 'boolean', default: false },
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
  const [outDir, ...extra] = positionals;
  if (outDir === undefined || extra.length > 0) throw new CliError(`expected exactly one <out-dir>\n\n${HELP}`, 2);
  const preset = values.preset as PresetName;
  if (!PRESET_NAMES.includes(preset))
    throw new CliError(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${values.preset}'`, 2);
  const shardMegabytes = parseNonNegativeInteger(values['max-shard-size'], '--max-shard-size');
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const made = await makeTinyCheckpoint(outDir, {
      preset,
      seed: parseNonNegativeInteger(values.seed, '--seed') ?? 0,
      tieWordEmbeddings: !values.untied,
      ...(shardMegabytes === undefined ? {} : { maxShardBytes: shardMegabytes * 1024 * 1024 }),
      overwrite: values.force,
      progress: new TerminalProgressBar(),
      signal: controller.signal,
    });
    const gigabytes = (made.weightBytes / 1024 ** 3).toFixed(2);
    process.stdout.write(
      `${made.folder}: ${preset} checkpoint, ${made.parameterCount} parameters, ${gigabytes} GiB in ${made.weightFiles.join(', ')}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof CheckpointError) throw new CliError(error.message);
    if (controller.signal.aborted) throw new CliError('interrupted; nothing was written', 130);
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
