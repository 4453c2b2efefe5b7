// Shapes of the generated checkpoints and the JSON files that sit beside their weights, written as
// the Hugging Face releases ship them, so that the converter and the runtime meet nothing in a
// generated checkpoint that a downloaded one would not have.
import { QWEN2_5_VL_PREPROCESSOR_DEFAULTS } from './model-folder-files.js';

export type PresetName = 'tiny' | 'small' | '3b';

export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'small', '3b'];

export interface PresetShape {
  text: {
    hiddenSize: number;
    intermediateSize: number;
    numLayers: number;
    numHeads: number;
    numKeyValueHeads: number;
    /** Rotary pairs for the t, h, w axes; sums to head_dim / 2. */
    mropeSection: [number, number, number];
    maxWindowLayers: number;
  };
  vision: {
    depth: number;
    hiddenSize: number;
    intermediateSize: number;
    numHeads: number;
    outHiddenSize: number;
    fullAttentionBlockIndexes: number[];
  };
}

/** Qwen2.5's vocabulary (151643 BPE tokens + special tokens, padded): every preset keeps the real tokenizer's ids valid. */
export const VOCAB_SIZE = 151936;

export const PRESETS: Readonly<Record<PresetName, PresetShape>> = {
  // The shapes of the golden tiny-a checkpoint (tests/fixtures/golden/README.md §7): builds in about a second.
  tiny: {
    text: {
      hiddenSize: 64,
      intermediateSize: 128,
      numLayers: 2,
      numHeads: 4,
      numKeyValueHeads: 2,
      mropeSection: [2, 3, 3],
      maxWindowLayers: 70,
    },
    vision: {
      depth: 4,
      hiddenSize: 64,
      intermediateSize: 128,
      numHeads: 4,
      outHiddenSize: 64,
      fullAttentionBlockIndexes: [1, 3],
    },
  },
  // Qwen2.5-0.5B's text width (hidden 896, MLP 4864, 14 heads, 2 KV heads, head_dim 64) with 8
  // instead of 24 layers, and a half-width 8-block vision tower (head_dim 64, full attention in
  // every fourth block as in the 3B); mrope_section [8, 12, 12] keeps the 3B's 2:3:3 split.
  // About 301 M parameters, 0.6 GB in BF16: big enough for realistic timings, quick to generate.
  small: {
    text: {
      hiddenSize: 896,
      intermediateSize: 4864,
      numLayers: 8,
      numHeads: 14,
      numKeyValueHeads: 2,
      mropeSection: [8, 12, 12],
      maxWindowLayers: 8,
    },
    vision: {
      depth: 8,
      hiddenSize: 640,
      intermediateSize: 1710,
      numHeads: 10,
      outHiddenSize: 896,
      fullAttentionBlockIndexes: [3, 7],
    },
  },
  // Qwen2.5-VL-3B-Instruct, which ShotVL-3B fine-tunes without changing the architecture
  // (its config.json): 3.75 B parameters, 7.5 GB in BF16.
  '3b': {
    text: {
      hiddenSize: 2048,
      intermediateSize: 11008,
      numLayers: 36,
      numHeads: 16,
      numKeyValueHeads: 2,
      mropeSection: [16, 24, 24],
      maxWindowLayers: 70,
    },
    vision: {
      depth: 32,
      hiddenSize: 1280,
      intermediateSize: 3420,
      numHeads: 16,
      outHiddenSize: 2048,
      fullAttentionBlockIndexes: [7, 15, 23, 31],
    },
  },
};

/**
 * `config.json` in the format transformers saves in mid-2025 (the pinned commit of
 * tests/fixtures/golden/README.md §2): flat text keys at the top level and again in a nested `text_config`, plus `vision_config`.
 */
export function buildConfigJson(shape: PresetShape, tieWordEmbeddings: boolean): Record<string, unknown> {
  const ropeScaling = { type: 'mrope', mrope_section: [...shape.text.mropeSection] };
  const text = {
    vocab_size: VOCAB_SIZE,
    hidden_size: shape.text.hiddenSize,
    intermediate_size: shape.text.intermediateSize,
    num_hidden_layers: shape.text.numLayers,
    num_attention_heads: shape.text.numHeads,
    num_key_value_heads: shape.text.numKeyValueHeads,
    hidden_act: 'silu',
    max_position_embeddings: 128000,
    initializer_range: 0.02,
    rms_norm_eps: 1e-6,
    use_cache: true,
    tie_word_embeddings: tieWordEmbeddings,
    rope_theta: 1000000.0,
    use_sliding_window: false,
    sliding_window: 32768,
    max_window_layers: shape.text.maxWindowLayers,
    attention_dropout: 0.0,
    rope_scaling: ropeScaling,
  };
  const specialTokens = { bos_token_id: 151643, eos_token_id: 151645 };
  return {
    architectures: ['Qwen2_5_VLForConditionalGeneration'],
    model_type: 'qwen2_5_vl',
    ...text,
    ...specialTokens,
    image_token_id: 151655,
    video_token_id: 151656,
    vision_start_token_id: 151652,
    vision_end_token_id: 151653,
    vision_token_id: 151654,
    text_config: { ...text, rope_scaling: { ...ropeScaling }, ...specialTokens, model_type: 'qwen2_5_vl_text' },
    vision_config: {
      depth: shape.vision.depth,
      hidden_act: 'silu',
      hidden_size: shape.vision.hiddenSize,
      intermediate_size: shape.vision.intermediateSize,
      num_heads: shape.vision.numHeads,
      in_chans: 3,
      in_channels: 3,
      out_hidden_size: shape.vision.outHiddenSize,
      patch_size: 14,
      spatial_merge_size: 2,
      spatial_patch_size: 14,
      window_size: 112,
      fullatt_block_indexes: [...shape.vision.fullAttentionBlockIndexes],
      tokens_per_second: 2,
      temporal_patch_size: 2,
      initializer_range: 0.02,
      model_type: 'qwen2_5_vl',
    },
    torch_dtype: 'bfloat16',
    transformers_version: '4.54.0.dev0',
  };
}

/** Qwen2.5-VL's `preprocessor_config.json` (one definition, shared with the converter). */
export const PREPROCESSOR_CONFIG = QWEN2_5_VL_PREPROCESSOR_DEFAULTS;

/**
 * `generation_config.json` as Qwen2.5-VL-3B-Instruct ships it. transformers applies it even to
 * greedy decoding, so its repetition_penalty 1.05 is part of "the same model"
 * (tests/fixtures/golden/README.md §4).
 */
export const GENERATION_CONFIG = Object.freeze({
  bos_token_id: 151643,
  pad_token_id: 151643,
  do_sample: true,
  eos_token_id: [151645, 151643],
  repetition_penalty: 1.05,
  temperature: 0.1,
  top_p: 0.001,
  top_k: 1,
  transformers_version: '4.37.0',
});
