// `--model DIR | HF-REPO-ID | tiny` -> a converted model folder, converting (and downloading)
// into the model store on first use, with progress.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { CliError } from '../cli-error.js';
import { convertCheckpoint } from '../../convert/convert-checkpoint.js';
import { describeConversionFailure } from '../../convert/describe-failure.js';
import { makeTinyCheckpoint } from '../../convert/make-tiny.js';
import { availableFormats, type WeightFormat } from '../../model-format/model-files.js';
import type { ProgressReporter } from '../../util/progress.js';
import { resolveCheckpoint } from '../resolve-checkpoint.js';

export interface ResolvedModel {
  modelDir: string;
  /** The id `/v1/models` reports unless --served-model-name says otherwise. */
  modelId: string;
}

export interface ModelResolutionOptions {
  modelStore: string;
  /** Formats to convert to when the store has no converted copy yet. */
  formats: WeightFormat[];
  progress: ProgressReporter;
  log: (message: string) => void;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

function isConvertedModel(folder: string): boolean {
  return availableFormats(folder).length > 0;
}

function isCheckpoint(folder: string): boolean {
  return (
    existsSync(join(folder, 'config.json')) &&
    readdirSync(folder).some((name) => name.endsWith('.safetensors') || name === 'model.safetensors.index.json')
  );
}

async function convertInto(
  checkpointDir: string,
  target: string,
  options: ModelResolutionOptions,
  source: Record<string, string>,
): Promise<void> {
  options.log(`converting ${checkpointDir} to ${options.formats.join(', ')} in ${target} (first start only)`);
  try {
    await convertCheckpoint({
      checkpointDir,
      outputDir: target,
      formats: options.formats,
      overwrite: true,
      sourceDescription: source,
      progress: options.progress,
    });
  } catch (error) {
    const message = describeConversionFailure(error);
    if (message !== undefined) throw new CliError(message);
    throw error;
  }
}

export async function resolveModel(model: string, options: ModelResolutionOptions): Promise<ResolvedModel> {
  if (model === 'tiny') {
    // A deterministic random model built locally: lets the whole server be tried with no network.
    const target = join(options.modelStore, 'tiny');
    if (!isConvertedModel(target)) {
      const checkpoint = join(options.modelStore, 'tiny-checkpoint');
      if (!isCheckpoint(checkpoint))
        await makeTinyCheckpoint(checkpoint, { preset: 'tiny', seed: 0, overwrite: true, progress: options.progress });
      await convertInto(checkpoint, target, options, { preset: 'tiny', seed: '0' });
    }
    return { modelDir: target, modelId: 'shotvl-tiny' };
  }
  const folder = resolve(model);
  if (existsSync(folder)) {
    if (isConvertedModel(folder)) return { modelDir: folder, modelId: basename(folder) };
    if (!isCheckpoint(folder))
      throw new CliError(
        `${folder} is neither a converted model folder (onnx/*.onnx) nor a Hugging Face checkpoint (config.json + *.safetensors)`,
      );
    const digest = createHash('sha256').update(folder).digest('hex').slice(0, 12);
    const target = join(options.modelStore, `${basename(folder)}-${digest}`);
    if (!isConvertedModel(target)) await convertInto(folder, target, options, { path: folder });
    return { modelDir: target, modelId: basename(folder) };
  }
  if (!REPO_ID.test(model))
    throw new CliError(`--model ${model}: no such folder, and not a Hugging Face repo id (owner/name) or 'tiny'`);
  const target = join(options.modelStore, model.replace('/', '--'));
  if (!isConvertedModel(target)) {
    let checkpoint;
    try {
      checkpoint = await resolveCheckpoint(model, { progress: options.progress });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliError(
        `${reason}\nTo run without the hub, point --model at a local model or checkpoint folder, or use --model tiny.`,
      );
    }
    await convertInto(checkpoint.directory, target, options, checkpoint.description);
  }
  return { modelDir: target, modelId: model };
}
