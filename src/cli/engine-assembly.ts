// The one assembly of a local engine, for `shotvl serve`, `shotvl run` and `shotvl analyze --model`:
// the weight format to load from a converted model folder, the media preprocessor (a worker pool),
// and the engine over it (create-engine.ts: model runner, tokenizer, limits). Closing goes in the
// reverse order of opening — the engine first (its loop and runner worker stop, nothing asks for
// media any more), then the preprocessor's workers — and happens once however often it is asked
// for. When construction fails half-way, what was opened is closed before the error is rethrown.
import { chooseWeightFormat, type WeightFormatChoice } from '../cuda/weight-format-choice.js';
import { availableLoadFormats, isLoadFormat, LOAD_FORMATS } from '../model-format/model-files.js';
import { createEngine, type CreateEngineOptions } from '../runtime/engine/create-engine.js';
import type { Engine } from '../runtime/engine/engine-api.js';
import type { EngineLogger } from '../runtime/engine/inference-engine.js';
import {
  createMediaPreprocessor,
  type ClosableMediaPreprocessor,
  type MediaPreprocessorOptions,
} from '../runtime/engine/media-preprocessor.js';
import { CliError } from './cli-error.js';

/** For commands that print their own output: the engine logs nothing. */
export const SILENT_ENGINE_LOGGER: EngineLogger = { info() {}, warn() {}, error() {} };

/**
 * The weight format to load from `modelDir` on `device`: `dtype` when given (it must be a load
 * format the folder has), else the device's preference. CliError for a folder without a model.
 */
export function chooseModelFormat(modelDir: string, device: 'cpu' | 'cuda', dtype?: string): WeightFormatChoice {
  const formats = availableLoadFormats(modelDir);
  if (formats.length === 0) throw new CliError(`${modelDir} has no converted model (run shotvl convert first)`);
  if (dtype !== undefined && !isLoadFormat(dtype))
    throw new CliError(`--dtype must be one of ${LOAD_FORMATS.join(', ')}`, 2);
  return chooseWeightFormat(formats, device, dtype);
}

/** The parts an assembly opens. Production uses LOCAL_ENGINE_PARTS; tests substitute doubles. */
export interface EngineParts {
  createMediaPreprocessor(options: MediaPreprocessorOptions): ClosableMediaPreprocessor;
  createEngine(options: CreateEngineOptions): Promise<Engine>;
}

export const LOCAL_ENGINE_PARTS: EngineParts = { createMediaPreprocessor, createEngine };

export interface EngineAssemblyOptions extends Omit<CreateEngineOptions, 'mediaPreprocessor' | 'logger'> {
  /** Preprocessing workers and media limits (default: one worker, the default limits). */
  media?: MediaPreprocessorOptions;
  /** Default: silent. */
  logger?: EngineLogger;
}

export interface AssembledEngine {
  readonly engine: Engine;
  /** Closes the engine, then the media preprocessor; every call returns the same promise. */
  close(): Promise<void>;
}

/** Runs every step in order even when one fails; rejects with the first failure (or all of them). */
async function closeInOrder(steps: readonly (() => Promise<void>)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'closing the engine failed');
}

export async function assembleEngine(
  options: EngineAssemblyOptions,
  parts: EngineParts = LOCAL_ENGINE_PARTS,
): Promise<AssembledEngine> {
  const { media, logger, ...engineOptions } = options;
  const mediaPreprocessor = parts.createMediaPreprocessor(media ?? {});
  let engine: Engine;
  try {
    engine = await parts.createEngine({
      ...engineOptions,
      mediaPreprocessor,
      logger: logger ?? SILENT_ENGINE_LOGGER,
    });
  } catch (error) {
    // The construction error is the one to report; a failure to stop the workers comes second.
    await mediaPreprocessor
      .close()
      .catch((closeError: unknown) =>
        (logger ?? SILENT_ENGINE_LOGGER).warn({ err: closeError }, 'closing the media preprocessor failed'),
      );
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    engine,
    close: () => (closing ??= closeInOrder([() => engine.close(), () => mediaPreprocessor.close()])),
  };
}
