// The Qwen2.5-VL configuration as every part of the project uses it, normalised from any legal
// Hugging Face config.json: flat text keys (the mid-2025 save format), nested-only
// `text_config`/`vision_config`, `rope_scaling` of type "mrope" or "default" with `mrope_section`,
// and `head_dim` derived when absent.
import { ShotvlError } from '../util/shotvl-error.js';

export interface TextConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** Rotary frequency pairs given to the t, h and w position axes; sums to headDim / 2. */
  mropeSection: [number, number, number];
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  hiddenAct: string;
}

export interface VisionConfig {
  depth: number;
  hiddenSize: number;
  intermediateSize: number;
  numHeads: number;
  headDim: number;
  inChannels: number;
  patchSize: number;
  temporalPatchSize: number;
  spatialMergeSize: number;
  windowSize: number;
  fullAttentionBlockIndexes: number[];
  outHiddenSize: number;
  tokensPerSecond: number;
  hiddenAct: string;
  /** RMSNorm epsilon of the vision blocks and merger (fixed at 1e-6 in the reference code). */
  rmsNormEps: number;
}

export interface SpecialTokenIds {
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
  visionEndTokenId: number;
  bosTokenId: number | undefined;
  eosTokenIds: number[];
}

export interface ModelConfig {
  modelType: 'qwen2_5_vl';
  text: TextConfig;
  vision: VisionConfig;
  tokens: SpecialTokenIds;
}

export class ModelConfigError extends ShotvlError<'config_missing' | 'config_invalid'> {}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Looks a key up in the nested section first, then at the top level (flat legacy keys). */
function pick(nested: Json, top: Json, key: string): unknown {
  return nested[key] !== undefined ? nested[key] : top[key];
}

function requireNumber(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ModelConfigError(
      'config_invalid',
      `config.json: '${key}' must be a number, found ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function optionalNumber(value: unknown, key: string, fallback: number): number {
  return value === undefined || value === null ? fallback : requireNumber(value, key);
}

function integerList(value: unknown, key: string): number[] {
  if (!Array.isArray(value) || !value.every((item) => Number.isInteger(item))) {
    throw new ModelConfigError(
      'config_invalid',
      `config.json: '${key}' must be a list of integers, found ${JSON.stringify(value)}`,
    );
  }
  return value as number[];
}

const SUPPORTED_MODEL_TYPES = new Set(['qwen2_5_vl']);

export function parseModelConfig(raw: unknown): ModelConfig {
  if (!isObject(raw)) throw new ModelConfigError('config_invalid', 'config.json: expected a JSON object');
  const modelType = raw.model_type;
  if (typeof modelType !== 'string' || !SUPPORTED_MODEL_TYPES.has(modelType)) {
    throw new ModelConfigError(
      'config_invalid',
      `config.json: unsupported model_type ${JSON.stringify(modelType)}; this converter handles Qwen2.5-VL checkpoints (model_type "qwen2_5_vl")`,
    );
  }
  const textSection = isObject(raw.text_config) ? raw.text_config : {};
  const visionSection = isObject(raw.vision_config) ? raw.vision_config : {};
  return {
    modelType: 'qwen2_5_vl',
    text: parseTextConfig(textSection, raw),
    vision: parseVisionConfig(visionSection),
    tokens: parseSpecialTokens(textSection, raw),
  };
}

function parseTextConfig(section: Json, top: Json): TextConfig {
  const number = (key: string) => requireNumber(pick(section, top, key), key);
  const hiddenSize = number('hidden_size');
  const numHeads = number('num_attention_heads');
  const numKeyValueHeads = optionalNumber(pick(section, top, 'num_key_value_heads'), 'num_key_value_heads', numHeads);
  const headDim = optionalNumber(pick(section, top, 'head_dim'), 'head_dim', hiddenSize / numHeads);
  if (!Number.isInteger(headDim))
    throw new ModelConfigError(
      'config_invalid',
      `config.json: hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}`,
    );
  if (numHeads % numKeyValueHeads !== 0) {
    throw new ModelConfigError(
      'config_invalid',
      `config.json: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKeyValueHeads}`,
    );
  }
  const ropeScaling = pick(section, top, 'rope_scaling');
  const mropeSection = isObject(ropeScaling) ? ropeScaling.mrope_section : undefined;
  if (mropeSection === undefined)
    throw new ModelConfigError(
      'config_invalid',
      "config.json: 'rope_scaling.mrope_section' is required for Qwen2.5-VL",
    );
  const sections = integerList(mropeSection, 'rope_scaling.mrope_section');
  if (sections.length !== 3 || sections.reduce((a, b) => a + b, 0) * 2 !== headDim) {
    throw new ModelConfigError(
      'config_invalid',
      `config.json: mrope_section ${JSON.stringify(sections)} must have 3 entries summing to head_dim/2 = ${headDim / 2}`,
    );
  }
  const tie = pick(section, top, 'tie_word_embeddings');
  return {
    vocabSize: number('vocab_size'),
    hiddenSize,
    intermediateSize: number('intermediate_size'),
    numLayers: number('num_hidden_layers'),
    numHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: optionalNumber(pick(section, top, 'rms_norm_eps'), 'rms_norm_eps', 1e-6),
    ropeTheta: optionalNumber(pick(section, top, 'rope_theta'), 'rope_theta', 1_000_000),
    mropeSection: [sections[0]!, sections[1]!, sections[2]!],
    maxPositionEmbeddings: optionalNumber(
      pick(section, top, 'max_position_embeddings'),
      'max_position_embeddings',
      128_000,
    ),
    // Hugging Face's PretrainedConfig defaults tie_word_embeddings to true.
    tieWordEmbeddings: tie === undefined ? true : tie === true,
    hiddenAct: String(pick(section, top, 'hidden_act') ?? 'silu'),
  };
}

function parseVisionConfig(section: Json): VisionConfig {
  // Defaults are Qwen2_5_VLVisionConfig's own.
  const hiddenSize = optionalNumber(section.hidden_size, 'vision_config.hidden_size', 1280);
  const numHeads = optionalNumber(section.num_heads, 'vision_config.num_heads', 16);
  return {
    depth: optionalNumber(section.depth, 'vision_config.depth', 32),
    hiddenSize,
    intermediateSize: optionalNumber(section.intermediate_size, 'vision_config.intermediate_size', 3420),
    numHeads,
    headDim: hiddenSize / numHeads,
    inChannels: optionalNumber(section.in_channels ?? section.in_chans, 'vision_config.in_channels', 3),
    patchSize: optionalNumber(section.patch_size ?? section.spatial_patch_size, 'vision_config.patch_size', 14),
    temporalPatchSize: optionalNumber(section.temporal_patch_size, 'vision_config.temporal_patch_size', 2),
    spatialMergeSize: optionalNumber(section.spatial_merge_size, 'vision_config.spatial_merge_size', 2),
    windowSize: optionalNumber(section.window_size, 'vision_config.window_size', 112),
    fullAttentionBlockIndexes:
      section.fullatt_block_indexes === undefined
        ? [7, 15, 23, 31]
        : integerList(section.fullatt_block_indexes, 'vision_config.fullatt_block_indexes'),
    outHiddenSize: optionalNumber(section.out_hidden_size, 'vision_config.out_hidden_size', 3584),
    tokensPerSecond: optionalNumber(section.tokens_per_second, 'vision_config.tokens_per_second', 4),
    hiddenAct: String(section.hidden_act ?? 'silu'),
    rmsNormEps: 1e-6,
  };
}

function parseSpecialTokens(section: Json, top: Json): SpecialTokenIds {
  const eos = pick(section, top, 'eos_token_id');
  const bos = pick(section, top, 'bos_token_id');
  return {
    imageTokenId: optionalNumber(top.image_token_id, 'image_token_id', 151655),
    videoTokenId: optionalNumber(top.video_token_id, 'video_token_id', 151656),
    visionStartTokenId: optionalNumber(top.vision_start_token_id, 'vision_start_token_id', 151652),
    visionEndTokenId: optionalNumber(top.vision_end_token_id, 'vision_end_token_id', 151653),
    bosTokenId: typeof bos === 'number' ? bos : undefined,
    eosTokenIds: Array.isArray(eos) ? integerList(eos, 'eos_token_id') : typeof eos === 'number' ? [eos] : [151645],
  };
}
