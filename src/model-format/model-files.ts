// Names of the files in a model folder (docs/ARCHITECTURE.md "The model folder"): the contract between the
// converter that writes them and the runtime that loads them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The converter's manifest in a model folder (src/convert/manifest.ts writes it). */
export const MANIFEST_FILE_NAME = 'shotvl.json';

/**
 * How one graph file stores its weights: fp32; fp16 (CUDA); q4 (int4 MatMulNBits, CPU decode);
 * int8 (per-channel int8 weights with activations quantized per call, DynamicQuantizeMatMul: CPU
 * vision and prefill, where the products are compute-bound).
 */
export type WeightFormat = 'fp32' | 'fp16' | 'q4' | 'int8';

export const WEIGHT_FORMATS: readonly WeightFormat[] = ['fp32', 'fp16', 'q4', 'int8'];

export type GraphName = 'embed_tokens' | 'vision_encoder' | 'decoder_model_merged';

export const GRAPH_NAMES: readonly GraphName[] = ['embed_tokens', 'vision_encoder', 'decoder_model_merged'];

/** fp32 has no suffix; the others are `_fp16`, `_q4` and `_int8`, as onnx-community names its variants. */
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

/**
 * What a runtime loads (`--dtype`): one weight format for every graph, or `q4-int8`, the CPU mix
 * bench/matmul-int8 chose: int8 (integer GEMM) for the vision encoder and for prefill, where the
 * products have hundreds to thousands of rows and are compute-bound, and q4 for the embedding and
 * for decode steps, which read every weight once per token and are bound by memory bandwidth
 * (q4 reads about half of int8's bytes).
 */
export type LoadFormat = WeightFormat | 'q4-int8';

export const MIXED_CPU_FORMAT = 'q4-int8' satisfies LoadFormat;

export const LOAD_FORMATS: readonly LoadFormat[] = [...WEIGHT_FORMATS, MIXED_CPU_FORMAT];

/** The weight format of each graph a load format opens; `prefill` runs every multi-token step. */
export interface GraphFormats {
  embed: WeightFormat;
  vision: WeightFormat;
  prefill: WeightFormat;
  decode: WeightFormat;
}

export function graphFormats(format: LoadFormat): GraphFormats {
  if (format === MIXED_CPU_FORMAT) return { embed: 'q4', vision: 'int8', prefill: 'int8', decode: 'q4' };
  return { embed: format, vision: format, prefill: format, decode: format };
}

/** The formats a folder can load: its complete weight formats, and the mix when both parts are there. */
export function availableLoadFormats(modelDir: string): LoadFormat[] {
  const formats: LoadFormat[] = availableFormats(modelDir);
  if (formats.includes('q4') && formats.includes('int8')) formats.push(MIXED_CPU_FORMAT);
  return formats;
}

export function isLoadFormat(value: string): value is LoadFormat {
  return (LOAD_FORMATS as readonly string[]).includes(value);
}
