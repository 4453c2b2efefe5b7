// Writes a deterministic random Qwen2.5-VL checkpoint in the Hugging Face layout (config.json,
// preprocessor_config.json, generation_config.json, tokenizer files, BF16 model.safetensors with
// the legacy parameter names). Tests and benchmarks use it where the real ShotVL weights cannot be
// downloaded. Values are streamed tensor by tensor in slices, so even the 7.5 GB `3b` preset is
// written with a few tens of MB of memory; the folder appears only once complete (written under a
// temporary name beside it, then renamed).
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { silentProgress } from '../util/progress.js';
import type { ProgressReporter } from '../util/progress.js';
import { CheckpointError } from './checkpoint-error.js';
import { parseModelConfig } from '../model-format/model-config.js';
import type { ModelConfig } from '../model-format/model-config.js';
import { initDistribution, qwen25VlParameters } from './qwen2-5-vl/parameters.js';
import type { ParameterSpec } from './qwen2-5-vl/parameters.js';
import { SafetensorsWriter } from './safetensors-writer.js';
import { SeededRandom } from './seeded-random.js';
import { GENERATION_CONFIG, PREPROCESSOR_CONFIG, PRESETS, buildConfigJson } from './tiny-presets.js';
import type { PresetName } from './tiny-presets.js';
import { writeTokenizerFiles } from './tokenizer-files.js';

/** Values generated per slice: 4 Mi float32 (16 MiB) bounds memory and keeps progress smooth. */
const SLICE_ELEMENTS = 4 * 1024 * 1024;

export interface MakeTinyOptions {
  /** Defaults to `tiny`. */
  preset?: PresetName;
  /** Any non-negative safe integer; defaults to 0. */
  seed?: number;
  /** Overrides the preset (all presets are tied, like Qwen2.5-VL-3B); false adds `lm_head.weight`. */
  tieWordEmbeddings?: boolean;
  /** Shard the weights (with an index file) when they exceed this many bytes. */
  maxShardBytes?: number;
  /** Replace an existing output folder instead of failing. */
  overwrite?: boolean;
  progress?: ProgressReporter;
  signal?: AbortSignal;
}

export interface MadeCheckpoint {
  folder: string;
  config: ModelConfig;
  parameterCount: number;
  /** Bytes of tensor data (BF16). */
  weightBytes: number;
  weightFiles: string[];
}

/** The parameters a preset has, without writing anything (for planning and tests). */
export function presetParameters(
  preset: PresetName,
  tieWordEmbeddings = true,
): { config: Record<string, unknown>; parameters: ParameterSpec[] } {
  const config = buildConfigJson(PRESETS[preset], tieWordEmbeddings);
  return { config, parameters: qwen25VlParameters(parseModelConfig(config)) };
}

async function pathExists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

async function writeJson(folder: string, name: string, value: unknown): Promise<void> {
  await writeFile(join(folder, name), `${JSON.stringify(value, null, 2)}\n`);
}

async function writeWeights(
  folder: string,
  parameters: ParameterSpec[],
  seed: number,
  options: MakeTinyOptions,
  label: string,
): Promise<{ files: string[]; totalBytes: number }> {
  const progress = options.progress ?? silentProgress;
  const writer = await SafetensorsWriter.create(
    folder,
    parameters.map(({ name, shape }) => ({ name, shape })),
    options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes },
  );
  const slice = new Float32Array(SLICE_ELEMENTS);
  try {
    progress.start(label, writer.totalBytes, 'bytes');
    for (const parameter of parameters) {
      progress.detail?.(parameter.name);
      // One stream per tensor, seeded by (seed, name): the values do not depend on the order or
      // slicing of generation, so any tensor can be regenerated alone.
      const random = new SeededRandom(seed, parameter.name);
      const { mean, std } = initDistribution(parameter);
      const count = parameter.shape.reduce((product, dimension) => product * dimension, 1);
      for (let done = 0; done < count; done += SLICE_ELEMENTS) {
        options.signal?.throwIfAborted();
        const values = slice.subarray(0, Math.min(SLICE_ELEMENTS, count - done));
        random.fillNormal(values, mean, std);
        await writer.append(parameter.name, values);
        progress.advance(values.length * 2);
      }
    }
    const written = await writer.finish();
    progress.finish();
    return written;
  } finally {
    await writer.close();
  }
}

/** Generates the checkpoint into `outDir` (created; its parent must be writable). */
export async function makeTinyCheckpoint(outDir: string, options: MakeTinyOptions = {}): Promise<MadeCheckpoint> {
  const preset = options.preset ?? 'tiny';
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const folder = resolve(outDir);
  if (!options.overwrite && (await pathExists(folder))) {
    throw new CheckpointError(
      'output_exists',
      `${folder} already exists; choose another folder or allow overwriting`,
      folder,
    );
  }
  const { config, parameters } = presetParameters(preset, options.tieWordEmbeddings ?? true);
  await mkdir(dirname(folder), { recursive: true });
  const temporary = await mkdtemp(join(dirname(folder), `.${basename(folder)}.partial-`));
  try {
    await writeJson(temporary, 'config.json', config);
    await writeJson(temporary, 'generation_config.json', GENERATION_CONFIG);
    await writeJson(temporary, 'preprocessor_config.json', PREPROCESSOR_CONFIG);
    await writeTokenizerFiles(temporary);
    const written = await writeWeights(temporary, parameters, seed, options, `make-tiny ${preset}`);
    if (options.overwrite) await rm(folder, { recursive: true, force: true });
    await rename(temporary, folder);
    return {
      folder,
      config: parseModelConfig(config),
      parameterCount: written.totalBytes / 2,
      weightBytes: written.totalBytes,
      weightFiles: written.files,
    };
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
}
