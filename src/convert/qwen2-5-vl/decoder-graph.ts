// The Qwen2.5-VL language model as one ONNX graph with a KV cache (`decoder_model_merged*.onnx`),
// named as the onnx-community Qwen2-VL exports name theirs.
//
// Inputs:
//   inputs_embeds                 float32 [batch, sequence, hidden]  (embed_tokens + vision features)
//   attention_mask                int64   [batch, past + sequence]   1 for real tokens; rows are
//                                 right-padded (each row's real tokens come first)
//   position_ids                  int64   [3, batch, sequence]       M-RoPE positions (t, h, w)
//   past_key_values.{i}.key|value [batch, kv_heads, past, head_dim]  in the compute type
//   num_logits_to_keep            int64   scalar: logits for the last k positions (0 = all)
// Outputs:
//   logits                        float32 [batch, kept, vocab]
//   present.{i}.key|value         [batch, kv_heads, past + sequence, head_dim]
//
// Attention is onnxruntime's GroupQueryAttention: it shares KV heads across query heads, appends
// the new keys and values to the past, applies the causal mask and each row's length
// (seqlens_k), and on CPU it runs a fused kernel whose memory does not grow with sequence^2 (a
// 7,900-token video prompt would otherwise need gigabytes of scores per layer). Its built-in
// rotary takes 1-D positions only, so M-RoPE is applied to q and k before it (do_rotary = 0).
import type { TextConfig } from '../../model-format/model-config.js';
import { MICROSOFT_DOMAIN } from '../onnx/graph-builder.js';
import { ElementType, attribute } from '../onnx/onnx-types.js';
import type { LayerWriter } from './layer-writer.js';

interface DecoderInputs {
  seqlensK: string;
  totalSequenceLength: string;
  cos: string;
  sin: string;
}

const INT64_MAX = Number.MAX_SAFE_INTEGER;

export async function writeDecoderGraph(layers: LayerWriter, text: TextConfig): Promise<void> {
  const graph = layers.graph;
  const embeds = graph.input('inputs_embeds', ElementType.float32, ['batch_size', 'sequence_length', text.hiddenSize]);
  const attentionMask = graph.input('attention_mask', ElementType.int64, ['batch_size', 'total_sequence_length']);
  const positionIds = graph.input('position_ids', ElementType.int64, [3, 'batch_size', 'sequence_length']);
  const kvShape = ['batch_size', text.numKeyValueHeads, 'past_sequence_length', text.headDim];
  const past = Array.from({ length: text.numLayers }, (_, index) => ({
    key: graph.input(`past_key_values.${index}.key`, layers.computeType, kvShape),
    value: graph.input(`past_key_values.${index}.value`, layers.computeType, kvShape),
  }));
  const keep = graph.input('num_logits_to_keep', ElementType.int64, []);

  const inputs = graph.scoped('inputs', () => prepareInputs(layers, text, attentionMask, positionIds));
  let hidden = layers.fromFloat32(embeds);
  for (let index = 0; index < text.numLayers; index += 1) {
    const layerPast = past[index]!;
    hidden = await graph.scoped(`layers.${index}`, async () => {
      const result = await decoderLayer(layers, hidden, index, text, inputs, layerPast);
      const presentShape = ['batch_size', text.numKeyValueHeads, 'total_sequence_length', text.headDim];
      graph.output(`present.${index}.key`, result.presentKey, layers.computeType, presentShape);
      graph.output(`present.${index}.value`, result.presentValue, layers.computeType, presentShape);
      return result.hidden;
    });
  }
  const logits = await graph.scoped('lm_head', async () => {
    const normed = await layers.rmsNorm(hidden, 'model.norm.weight', text.hiddenSize, text.rmsNormEps);
    const start = graph.op1('Neg', [graph.op1('Reshape', [keep, graph.int64([1])])]);
    const kept = graph.op1('Slice', [normed, start, graph.int64([INT64_MAX]), graph.int64([1])]);
    const headName = text.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    const weight = await layers.readWeight(headName, [text.vocabSize, text.hiddenSize]);
    return layers.toFloat32(layers.matmul(kept, weight, text.vocabSize, text.hiddenSize, 'lm_head'));
  });
  graph.output('logits', logits, ElementType.float32, ['batch_size', 'num_logits', text.vocabSize]);
}

/** Rotary frequencies as the reference computes them in float32: 1 / theta^(2i / head_dim). */
export function textInverseFrequencies(text: TextConfig): Float32Array {
  const half = text.headDim / 2;
  const out = new Float32Array(half);
  for (let index = 0; index < half; index += 1) {
    const exponent = Math.fround(Math.fround(2 * index) / text.headDim);
    out[index] = Math.fround(1 / Math.fround(Math.pow(text.ropeTheta, exponent)));
  }
  return out;
}

function prepareInputs(
  layers: LayerWriter,
  text: TextConfig,
  attentionMask: string,
  positionIds: string,
): DecoderInputs {
  const graph = layers.graph;
  const lengths = graph.op1('ReduceSum', [attentionMask, graph.int64([1])], { keepdims: attribute.int(0) });
  const seqlensK = graph.op1('Cast', [graph.op1('Sub', [lengths, graph.int64([1], [])])], {
    to: attribute.int(ElementType.int32),
  });
  const totalLength = graph.op1('Gather', [graph.op1('Shape', [attentionMask]), graph.int64([1], [])], {
    axis: attribute.int(0),
  });
  const totalSequenceLength = graph.op1('Cast', [totalLength], { to: attribute.int(ElementType.int32) });

  // M-RoPE: frequency pairs [0, s0) rotate with the temporal position, [s0, s0+s1) with the
  // height position and the rest with the width position (mrope_section), then cat(f, f).
  const inverse = textInverseFrequencies(text);
  const positions = graph.op1('Cast', [positionIds], { to: attribute.int(ElementType.float32) });
  const parts: string[] = [];
  let offset = 0;
  text.mropeSection.forEach((size, axis) => {
    const axisPositions = graph.op1('Gather', [positions, graph.int64([axis], [])], { axis: attribute.int(0) });
    const frequencies = graph.float32(Array.from(inverse.subarray(offset, offset + size)));
    parts.push(graph.op1('Mul', [graph.op1('Unsqueeze', [axisPositions, graph.int64([-1])]), frequencies]));
    offset += size;
  });
  const angles = graph.op1('Concat', parts, { axis: attribute.int(-1) });
  const doubled = graph.op1('Concat', [angles, angles], { axis: attribute.int(-1) });
  const toHeads = (values: string) => layers.fromFloat32(graph.op1('Unsqueeze', [values, graph.int64([2])]));
  return {
    seqlensK,
    totalSequenceLength,
    cos: toHeads(graph.op1('Cos', [doubled])),
    sin: toHeads(graph.op1('Sin', [doubled])),
  };
}

async function decoderLayer(
  layers: LayerWriter,
  x: string,
  index: number,
  text: TextConfig,
  inputs: DecoderInputs,
  past: { key: string; value: string },
): Promise<{ hidden: string; presentKey: string; presentValue: string }> {
  const graph = layers.graph;
  const prefix = `model.layers.${index}`;
  const { hiddenSize, headDim, numHeads, numKeyValueHeads } = text;
  const queryWidth = numHeads * headDim;
  const keyWidth = numKeyValueHeads * headDim;
  const normed = await layers.rmsNorm(x, `${prefix}.input_layernorm.weight`, hiddenSize, text.rmsNormEps);
  const qkv = await layers.fusedLinear(
    normed,
    [
      { prefix: `${prefix}.self_attn.q_proj`, inFeatures: hiddenSize, outFeatures: queryWidth, bias: true },
      { prefix: `${prefix}.self_attn.k_proj`, inFeatures: hiddenSize, outFeatures: keyWidth, bias: true },
      { prefix: `${prefix}.self_attn.v_proj`, inFeatures: hiddenSize, outFeatures: keyWidth, bias: true },
    ],
    `${prefix}.self_attn.qkv_proj`,
  );
  const [query, key, value] = graph.op(
    'Split',
    [qkv, graph.int64([queryWidth, keyWidth, keyWidth])],
    { axis: attribute.int(-1) },
    { outputCount: 3 },
  );
  const rotate = (values: string, heads: number) => {
    const perHead = graph.op1('Reshape', [values, graph.int64([0, 0, heads, headDim])]);
    const rotated = layers.rotateHalfRotary(perHead, inputs.cos, inputs.sin, headDim);
    return graph.op1('Reshape', [rotated, graph.int64([0, 0, heads * headDim])]);
  };
  const [attended, presentKey, presentValue] = graph.op(
    'GroupQueryAttention',
    [
      rotate(query!, numHeads),
      rotate(key!, numKeyValueHeads),
      value!,
      past.key,
      past.value,
      inputs.seqlensK,
      inputs.totalSequenceLength,
    ],
    { num_heads: attribute.int(numHeads), kv_num_heads: attribute.int(numKeyValueHeads) },
    { domain: MICROSOFT_DOMAIN, outputCount: 3 },
  );
  const projected = await layers.linear(attended!, {
    prefix: `${prefix}.self_attn.o_proj`,
    inFeatures: queryWidth,
    outFeatures: hiddenSize,
    bias: false,
  });
  const afterAttention = graph.op1('Add', [x, projected]);
  const normed2 = await layers.rmsNorm(
    afterAttention,
    `${prefix}.post_attention_layernorm.weight`,
    hiddenSize,
    text.rmsNormEps,
  );
  const mlp = await layers.gatedMlp(normed2, `${prefix}.mlp`, hiddenSize, text.intermediateSize, false);
  return { hidden: graph.op1('Add', [afterAttention, mlp]), presentKey: presentKey!, presentValue: presentValue! };
}
