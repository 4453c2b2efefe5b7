// Every parameter of a Qwen2.5-VL checkpoint, with the legacy names and shapes that
// `save_pretrained` writes (transformers `modeling_qwen2_5_vl.py`, mid-2025; the same names as
// tests/fixtures/golden/tiny-a/model/model.safetensors):
//   visual.patch_embed.proj.weight            Conv3d, no bias: [hidden, channels, temporal, patch, patch]
//   visual.blocks.N.{norm1,norm2}.weight      RMSNorm
//   visual.blocks.N.attn.qkv.{weight,bias}    [3*hidden, hidden]
//   visual.blocks.N.attn.proj.{weight,bias}   [hidden, hidden]
//   visual.blocks.N.mlp.{gate,up,down}_proj.{weight,bias}
//   visual.merger.ln_q.weight                 RMSNorm over the vision hidden size
//   visual.merger.mlp.{0,2}.{weight,bias}     hidden*merge^2 -> hidden*merge^2 -> out_hidden
//   model.embed_tokens.weight, model.norm.weight
//   model.layers.N.self_attn.{q,k,v}_proj.{weight,bias}, self_attn.o_proj.weight (no bias)
//   model.layers.N.mlp.{gate,up,down}_proj.weight (no biases)
//   model.layers.N.{input,post_attention}_layernorm.weight
//   lm_head.weight                            only when the embeddings are not tied
import type { ModelConfig } from '../../model-format/model-config.js';

/** How a generated checkpoint draws a parameter (tests/fixtures/golden/README.md §3.4). */
export type InitKind = 'embedding' | 'matrix' | 'bias' | 'norm';

export interface ParameterSpec {
  name: string;
  shape: number[];
  init: InitKind;
}

/** Normal distribution of each kind: embeddings N(0, 0.02), matrices N(0, 1/sqrt(fan_in)), biases N(0, 0.02), RMSNorm weights 1 + N(0, 0.05). */
export function initDistribution(spec: ParameterSpec): { mean: number; std: number } {
  switch (spec.init) {
    case 'embedding':
      return { mean: 0, std: 0.02 };
    case 'bias':
      return { mean: 0, std: 0.02 };
    case 'norm':
      return { mean: 1, std: 0.05 };
    case 'matrix': {
      // fan_in of a Linear [out, in] is `in`; of the Conv3d [out, c, t, h, w] it is c*t*h*w.
      const fanIn = spec.shape.slice(1).reduce((product, dimension) => product * dimension, 1);
      return { mean: 0, std: 1 / Math.sqrt(fanIn) };
    }
  }
}

function linear(prefix: string, outFeatures: number, inFeatures: number, bias: boolean): ParameterSpec[] {
  const weight: ParameterSpec = { name: `${prefix}.weight`, shape: [outFeatures, inFeatures], init: 'matrix' };
  return bias ? [weight, { name: `${prefix}.bias`, shape: [outFeatures], init: 'bias' }] : [weight];
}

function norm(name: string, size: number): ParameterSpec {
  return { name, shape: [size], init: 'norm' };
}

function visionParameters(config: ModelConfig): ParameterSpec[] {
  const vision = config.vision;
  const hidden = vision.hiddenSize;
  const mergedHidden = hidden * vision.spatialMergeSize ** 2;
  const parameters: ParameterSpec[] = [
    {
      name: 'visual.patch_embed.proj.weight',
      shape: [hidden, vision.inChannels, vision.temporalPatchSize, vision.patchSize, vision.patchSize],
      init: 'matrix',
    },
  ];
  for (let block = 0; block < vision.depth; block += 1) {
    const prefix = `visual.blocks.${block}`;
    parameters.push(
      norm(`${prefix}.norm1.weight`, hidden),
      norm(`${prefix}.norm2.weight`, hidden),
      ...linear(`${prefix}.attn.qkv`, 3 * hidden, hidden, true),
      ...linear(`${prefix}.attn.proj`, hidden, hidden, true),
      ...linear(`${prefix}.mlp.gate_proj`, vision.intermediateSize, hidden, true),
      ...linear(`${prefix}.mlp.up_proj`, vision.intermediateSize, hidden, true),
      ...linear(`${prefix}.mlp.down_proj`, hidden, vision.intermediateSize, true),
    );
  }
  parameters.push(
    norm('visual.merger.ln_q.weight', hidden),
    ...linear('visual.merger.mlp.0', mergedHidden, mergedHidden, true),
    ...linear('visual.merger.mlp.2', vision.outHiddenSize, mergedHidden, true),
  );
  return parameters;
}

function textParameters(config: ModelConfig): ParameterSpec[] {
  const text = config.text;
  const hidden = text.hiddenSize;
  const parameters: ParameterSpec[] = [
    { name: 'model.embed_tokens.weight', shape: [text.vocabSize, hidden], init: 'embedding' },
  ];
  for (let layer = 0; layer < text.numLayers; layer += 1) {
    const prefix = `model.layers.${layer}`;
    parameters.push(
      norm(`${prefix}.input_layernorm.weight`, hidden),
      norm(`${prefix}.post_attention_layernorm.weight`, hidden),
      ...linear(`${prefix}.self_attn.q_proj`, text.numHeads * text.headDim, hidden, true),
      ...linear(`${prefix}.self_attn.k_proj`, text.numKeyValueHeads * text.headDim, hidden, true),
      ...linear(`${prefix}.self_attn.v_proj`, text.numKeyValueHeads * text.headDim, hidden, true),
      ...linear(`${prefix}.self_attn.o_proj`, hidden, text.numHeads * text.headDim, false),
      ...linear(`${prefix}.mlp.gate_proj`, text.intermediateSize, hidden, false),
      ...linear(`${prefix}.mlp.up_proj`, text.intermediateSize, hidden, false),
      ...linear(`${prefix}.mlp.down_proj`, hidden, text.intermediateSize, false),
    );
  }
  parameters.push(norm('model.norm.weight', hidden));
  if (!text.tieWordEmbeddings)
    parameters.push({ name: 'lm_head.weight', shape: [text.vocabSize, hidden], init: 'embedding' });
  return parameters;
}

/** All parameters, sorted by name (the order PyTorch's safetensors writer stores them in). */
export function qwen25VlParameters(config: ModelConfig): ParameterSpec[] {
  return [...textParameters(config), ...visionParameters(config)].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}
