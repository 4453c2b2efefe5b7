// `shotvl convert`: a Hugging Face Qwen2.5-VL checkpoint folder -> the model folder of
// ARCHITECTURE.md (three ONNX graphs per weight format, tokenizer and processor files, and a
// shotvl.json manifest). Everything is written into a temporary sibling folder that is renamed
// into place at the end, so a failed or interrupted run leaves nothing behind.
import { existsSync, mkdirSync, readdirSync, rmSync, renameSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentProgress, type ProgressReporter } from '../util/progress.js';
import { ConversionError } from './conversion-error.js';
import { openCheckpointSource, type CheckpointSource } from './checkpoint-source.js';
import { readModelConfigFile } from './read-model-config.js';
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

export const DEFAULT_Q4_SETTINGS: Q4Settings = { blockSize: 32, accuracyLevel: 4, symmetric: false };

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
  const config = readModelConfigFile(options.checkpointDir);
  prepareOutputLocation(outputDir, options.overwrite ?? false);
  const temporaryDir = join(dirname(outputDir), `.${basename(outputDir)}.partial-${randomBytes(4).toString('hex')}`);
  mkdirSync(join(temporaryDir, 'onnx'), { recursive: true });
  const checkpoint = await openCheckpointSource(options.checkpointDir);
  try {
    const files: string[] = [];
    const totalBytes = checkpoint.totalBytes * options.formats.length;
    progress.start(`converting to ${options.formats.join(', ')}`, totalBytes, 'bytes');
    const source = countingSource(checkpoint.source, checkpoint, progress);
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
          throw error;
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
    if (existsSync(outputDir)) rmSync(outputDir, { recursive: true, force: true });
    renameSync(temporaryDir, outputDir);
    return { outputDir, files: [...files, 'shotvl.json'], config };
  } catch (error) {
    rmSync(temporaryDir, { recursive: true, force: true });
    throw error;
  } finally {
    checkpoint.close();
  }
}

function prepareOutputLocation(outputDir: string, overwrite: boolean): void {
  const parent = dirname(outputDir);
  try {
    mkdirSync(parent, { recursive: true });
  } catch {
    throw new ConversionError('output_unwritable', `cannot create the output folder's parent ${parent}`, parent);
  }
  if (existsSync(outputDir) && readdirSync(outputDir).length > 0 && !overwrite) {
    throw new ConversionError('output_exists', `output folder ${outputDir} exists and is not empty (pass --overwrite to replace it)`, outputDir);
  }
  try {
    // Probe writability now rather than after minutes of conversion.
    const probe = join(parent, `.${basename(outputDir)}.probe-${process.pid}`);
    mkdirSync(probe);
    rmSync(probe, { recursive: true });
  } catch {
    throw new ConversionError('output_unwritable', `cannot write in ${parent}`, parent);
  }
}

/** Reports bytes read from the checkpoint as conversion progress. */
function countingSource(source: TensorSource, checkpoint: CheckpointSource, progress: ProgressReporter): TensorSource {
  return {
    has: (name) => source.has(name),
    shape: (name) => source.shape(name),
    readFloat32: async (name) => {
      const values = await source.readFloat32(name);
      progress.advance(checkpoint.storedBytes(name));
      return values;
    },
  };
}
