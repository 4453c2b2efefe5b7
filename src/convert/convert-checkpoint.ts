// `shotvl convert`: a Hugging Face Qwen2.5-VL checkpoint folder -> the model folder of
// docs/ARCHITECTURE.md (three ONNX graphs per weight format, tokenizer and processor files, and a
// shotvl.json manifest). Everything is written into a temporary sibling folder that is renamed
// into place at the end, so a failed or interrupted run leaves nothing behind.
import { mkdirSync, readdirSync, rmSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentProgress, type ProgressReporter } from '../util/progress.js';
import { ConversionError } from './conversion-error.js';
import { openCheckpointSource, type CheckpointSource } from './checkpoint-source.js';
import { readModelConfig } from '../model-format/read-model-config.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import { LayerWriter } from './qwen2-5-vl/layer-writer.js';
import { writeDecoderGraph } from './qwen2-5-vl/decoder-graph.js';
import { writeEmbedGraph } from './qwen2-5-vl/embed-graph.js';
import { writeVisionGraph } from './qwen2-5-vl/vision-graph.js';
import type { Q4Settings, WeightFormat } from './qwen2-5-vl/weight-format.js';
import { graphFileName, type GraphName } from '../model-format/model-files.js';
import { writeModelFolderFiles } from './model-folder-files.js';
import { writeManifest, CONVERTER_VERSION } from './manifest.js';
import type { ModelConfig } from '../model-format/model-config.js';
import type { TensorSource } from './tensor-source.js';

/**
 * Block 128 (asymmetric, accuracy level 4): q4 decode reads 1.65 instead of 1.98 GB per token on
 * ShotVL-3B and a batch-1 step is 1.20x faster than at block 32 (bench/decode-step, 3b preset,
 * 2026-12-02); symmetric blocks were no faster and drop the zero points' accuracy. `--q4-block-size
 * 32` keeps the old, finer format.
 */
export const DEFAULT_Q4_SETTINGS: Q4Settings = { blockSize: 128, accuracyLevel: 4, symmetric: false };

export interface ConvertOptions {
  checkpointDir: string;
  outputDir: string;
  formats: WeightFormat[];
  q4?: Q4Settings;
  /** Replace an existing output folder (default: refuse). */
  overwrite?: boolean;
  /** What the manifest records as the source (a repo id and revision, or the folder). */
  sourceDescription?: Record<string, string>;
  progress?: ProgressReporter;
  /** Aborting stops between tensors; the temporary folder is removed and the error rethrown. */
  signal?: AbortSignal;
}

export interface ConversionResult {
  outputDir: string;
  files: string[];
  config: ModelConfig;
}

type GraphWriter = (layers: LayerWriter, config: ModelConfig) => Promise<void>;

const GRAPHS: { baseName: GraphName; write: GraphWriter }[] = [
  { baseName: 'embed_tokens', write: (layers, config) => writeEmbedGraph(layers, config.text) },
  { baseName: 'vision_encoder', write: (layers, config) => writeVisionGraph(layers, config.vision) },
  { baseName: 'decoder_model_merged', write: (layers, config) => writeDecoderGraph(layers, config.text) },
];

export async function convertCheckpoint(options: ConvertOptions): Promise<ConversionResult> {
  const progress = options.progress ?? silentProgress;
  const outputDir = resolve(options.outputDir);
  const config = readModelConfig(options.checkpointDir);
  checkNotInsideCheckpoint(outputDir, resolve(options.checkpointDir));
  // Every header is checked here (missing, truncated or mismatched shards) before anything is written.
  const checkpoint = await openCheckpointSource(options.checkpointDir);
  let createdParent: string | undefined;
  let temporaryDir: string | undefined;
  try {
    createdParent = prepareOutputLocation(outputDir, options.overwrite ?? false);
    temporaryDir = join(dirname(outputDir), `.${basename(outputDir)}.partial-${randomBytes(4).toString('hex')}`);
    mkdirSync(join(temporaryDir, 'onnx'), { recursive: true });
    const files: string[] = [];
    const totalBytes = checkpoint.totalBytes * options.formats.length;
    progress.start(`converting to ${options.formats.join(', ')}`, totalBytes, 'bytes');
    const source = countingSource(checkpoint.source, checkpoint, progress, options.signal);
    for (const format of options.formats) {
      for (const graphSpec of GRAPHS) {
        const fileName = graphFileName(graphSpec.baseName, format);
        progress.detail?.(fileName);
        const graph = new GraphBuilder({
          graphName: graphSpec.baseName,
          directory: join(temporaryDir, 'onnx'),
          fileName,
          producerVersion: CONVERTER_VERSION,
          metadata: { 'shotvl.weight_format': format },
        });
        try {
          await graphSpec.write(new LayerWriter(graph, source, format, options.q4 ?? DEFAULT_Q4_SETTINGS), config);
          files.push(...graph.save().map((name) => `onnx/${name}`));
        } catch (error) {
          graph.discard();
          throw nameTheTensor(error, source.lastRead, fileName);
        }
      }
    }
    progress.finish();
    files.push(...(await writeModelFolderFiles(options.checkpointDir, temporaryDir)));
    await writeManifest(temporaryDir, {
      source: options.sourceDescription ?? { path: resolve(options.checkpointDir) },
      formats: options.formats,
      q4: options.formats.includes('q4') ? (options.q4 ?? DEFAULT_Q4_SETTINGS) : undefined,
      files,
    });
    options.signal?.throwIfAborted();
    moveIntoPlace(temporaryDir, outputDir);
    return { outputDir, files: [...files, 'shotvl.json'], config };
  } catch (error) {
    if (temporaryDir !== undefined) rmSync(temporaryDir, { recursive: true, force: true });
    // Folders this run created for the output's parent are ours to remove too (empty ones only).
    if (createdParent !== undefined) removeEmptyFolders(dirname(outputDir), createdParent);
    throw error;
  } finally {
    checkpoint.close();
  }
}

/** Writing into the checkpoint (or replacing a folder that holds it) would destroy the source. */
function checkNotInsideCheckpoint(outputDir: string, checkpointDir: string): void {
  const fromOutput = relative(outputDir, checkpointDir);
  const outside = fromOutput === '..' || fromOutput.startsWith(`..${sep}`) || isAbsolute(fromOutput);
  if (!outside) {
    throw new ConversionError(
      'output_exists',
      `output folder ${outputDir} is or contains the checkpoint folder ${checkpointDir}; choose another output folder`,
      { file: outputDir },
    );
  }
}

/**
 * Checks the output location before minutes of conversion: the parent is created (returning the
 * first folder created, if any) and probed for writability; an existing non-empty output folder
 * is refused unless `overwrite`.
 */
function prepareOutputLocation(outputDir: string, overwrite: boolean): string | undefined {
  const parent = dirname(outputDir);
  let createdParent: string | undefined;
  try {
    createdParent = mkdirSync(parent, { recursive: true });
  } catch (error) {
    throw new ConversionError(
      'output_unwritable',
      `cannot create the output folder's parent ${parent} (${errorCode(error)})`,
      { file: parent },
    );
  }
  try {
    const existing = statSync(outputDir, { throwIfNoEntry: false });
    if (existing !== undefined && !existing.isDirectory()) {
      throw new ConversionError('output_exists', `output path ${outputDir} exists and is not a folder`, {
        file: outputDir,
      });
    }
    if (existing !== undefined && !overwrite && readdirSync(outputDir).length > 0) {
      throw new ConversionError(
        'output_exists',
        `output folder ${outputDir} exists and is not empty (pass --overwrite to replace it)`,
        { file: outputDir },
      );
    }
    const probe = join(parent, `.${basename(outputDir)}.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(probe);
      rmSync(probe, { recursive: true });
    } catch (error) {
      throw new ConversionError(
        'output_unwritable',
        `cannot write the output folder ${outputDir}: its parent ${parent} is not writable (${errorCode(error)})`,
        { file: parent },
      );
    }
  } catch (error) {
    if (createdParent !== undefined) removeEmptyFolders(parent, createdParent);
    throw error;
  }
  return createdParent;
}

/**
 * Renames the finished folder into place. An existing output folder (empty, or replaced with
 * --overwrite) is first moved aside, so at every moment either the old or the new model is there.
 */
function moveIntoPlace(temporaryDir: string, outputDir: string): void {
  if (statSync(outputDir, { throwIfNoEntry: false }) === undefined) {
    renameSync(temporaryDir, outputDir);
    return;
  }
  const previous = `${temporaryDir}.previous`;
  renameSync(outputDir, previous);
  try {
    renameSync(temporaryDir, outputDir);
  } catch (error) {
    renameSync(previous, outputDir);
    throw error;
  }
  rmSync(previous, { recursive: true, force: true });
}

/** Removes `from` and its ancestors up to and including `top` while they are empty. */
function removeEmptyFolders(from: string, top: string): void {
  const stop = dirname(resolve(top));
  for (let folder = resolve(from); folder !== stop && folder !== dirname(folder); folder = dirname(folder)) {
    try {
      if (readdirSync(folder).length > 0) return;
      rmSync(folder, { recursive: false, force: true });
    } catch {
      return;
    }
  }
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : String(error);
}

/**
 * Values the encoders refuse (NaN or infinite weights reach the int4 quantizer as RangeErrors) are
 * a property of the checkpoint: name the tensor last read, which is the one being encoded.
 */
function nameTheTensor(error: unknown, tensor: string | undefined, fileName: string): unknown {
  if (!(error instanceof RangeError) || tensor === undefined) return error;
  return new ConversionError(
    'source_invalid',
    `tensor '${tensor}' cannot be written to ${fileName}: ${error.message}`,
    {
      cause: error,
    },
  );
}

/** Reports bytes read from the checkpoint as conversion progress, and remembers the last tensor read. */
function countingSource(
  source: TensorSource,
  checkpoint: CheckpointSource,
  progress: ProgressReporter,
  signal: AbortSignal | undefined,
): TensorSource & { lastRead: string | undefined } {
  const counting = {
    lastRead: undefined as string | undefined,
    has: (name: string) => source.has(name),
    shape: (name: string) => source.shape(name),
    readFloat32: async (name: string) => {
      signal?.throwIfAborted();
      counting.lastRead = name;
      const values = await source.readFloat32(name);
      progress.advance(checkpoint.storedBytes(name));
      return values;
    },
  };
  return counting;
}
