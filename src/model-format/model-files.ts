// Names of the files in a model folder (ARCHITECTURE.md "Model files"): the contract between the
// converter that writes them and the runtime that loads them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type WeightFormat = 'fp32' | 'fp16' | 'q4';

export const WEIGHT_FORMATS: readonly WeightFormat[] = ['fp32', 'fp16', 'q4'];

export type GraphName = 'embed_tokens' | 'vision_encoder' | 'decoder_model_merged';

export const GRAPH_NAMES: readonly GraphName[] = ['embed_tokens', 'vision_encoder', 'decoder_model_merged'];

/** fp32 has no suffix; the others are `_fp16` and `_q4`, as onnx-community names its variants. */
export function fileSuffix(format: WeightFormat): string {
  return format === 'fp32' ? '' : `_${format}`;
}

export function graphFileName(graph: GraphName, format: WeightFormat): string {
  return `${graph}${fileSuffix(format)}.onnx`;
}

export function graphPath(modelDir: string, graph: GraphName, format: WeightFormat): string {
  return join(modelDir, 'onnx', graphFileName(graph, format));
}

/** The weight formats whose three graphs are all present in the folder. */
export function availableFormats(modelDir: string): WeightFormat[] {
  return WEIGHT_FORMATS.filter((format) =>
    GRAPH_NAMES.every((graph) => existsSync(graphPath(modelDir, graph, format))),
  );
}

export function isWeightFormat(value: string): value is WeightFormat {
  return (WEIGHT_FORMATS as readonly string[]).includes(value);
}
