// The Qwen2.5-VL vision tower as one ONNX graph (`vision_encoder*.onnx`), for one media item
// (an image, or a video whose frames share one grid) per run.
//
// Inputs (all computed in TypeScript by src/runtime/qwen2-5-vl/vision-inputs.ts, because they
// depend on the image geometry):
//   pixel_values          float32 [patches, 3*2*14*14]  processor output, original patch order
//   rotary_angles         float32 [patches, head_dim/2] 2-D rotary angles (h part, then w part)
//   window_gather_index   int64   [windows*window_len]  patch row for each window slot (pads -> 0)
//   window_key_bias       float32 [windows, window_len] 0 for real slots, -inf for pad slots
//   window_scatter_index  int64   [patches]             window slot of each patch row
//   grid_thw              int64   [3]                   temporal, height, width in patches
// Output:
//   image_features        float32 [patches/4, out_hidden] in token order
//
// Why windows by gather instead of the reference's permutation: every operation except attention
// is per patch (norms, MLP) or per 2x2 merge unit (the merger), so the order of rows only matters
// to attention. Gathering each window into a padded [windows, window_len] batch gives windowed
// attention as one batched call with memory linear in the patch count (no tokens^2 mask), and
// scattering back keeps the original order, which is also the output order. Full-attention
// blocks attend within each frame: rows of one frame are contiguous, so they are a reshape to
// [frames, patches/frame] and onnxruntime's MultiHeadAttention runs them with its fused CPU
// (flash) kernel, whose memory does not grow with patches^2.
import type { VisionConfig } from '../../model-format/model-config.js';
import { MICROSOFT_DOMAIN } from '../onnx/graph-builder.js';
import { ElementType, attribute } from '../onnx/onnx-types.js';
import type { LayerWriter } from './layer-writer.js';

const PATCH_INPUT_CHANNELS = 3;

interface VisionGraphInputs {
  rotaryCos: string;
  rotarySin: string;
  gatherIndex: string;
  scatterIndex: string;
  windowShape: string;
  windowBias: string;
  frameShape: string;
}

export async function writeVisionGraph(layers: LayerWriter, vision: VisionConfig): Promise<void> {
  const graph = layers.graph;
  const patchSize = PATCH_INPUT_CHANNELS * vision.temporalPatchSize * vision.patchSize * vision.patchSize;
  const pixelValues = graph.input('pixel_values', ElementType.float32, ['num_patches', patchSize]);
  const angles = graph.input('rotary_angles', ElementType.float32, ['num_patches', vision.headDim / 2]);
  const gatherIndex = graph.input('window_gather_index', ElementType.int64, ['num_window_slots']);
  const keyBias = graph.input('window_key_bias', ElementType.float32, ['num_windows', 'window_length']);
  const scatterIndex = graph.input('window_scatter_index', ElementType.int64, ['num_patches']);
  const gridThw = graph.input('grid_thw', ElementType.int64, [3]);

  const inputs = graph.scoped('inputs', () =>
    prepareInputs(layers, vision, angles, keyBias, gridThw, gatherIndex, scatterIndex),
  );

  let hidden = await graph.scoped('patch_embed', () => patchEmbedding(layers, pixelValues, vision, patchSize));
  for (let index = 0; index < vision.depth; index += 1) {
    const fullAttention = vision.fullAttentionBlockIndexes.includes(index);
    hidden = await graph.scoped(`blocks.${index}`, () =>
      visionBlock(layers, hidden, `visual.blocks.${index}`, vision, inputs, fullAttention),
    );
  }
  const features = await graph.scoped('merger', () => patchMerger(layers, hidden, vision));
  graph.output('image_features', layers.toFloat32(features), ElementType.float32, [
    'num_patches_div_4',
    vision.outHiddenSize,
  ]);
}

function prepareInputs(
  layers: LayerWriter,
  vision: VisionConfig,
  angles: string,
  keyBias: string,
  gridThw: string,
  gatherIndex: string,
  scatterIndex: string,
): VisionGraphInputs {
  const graph = layers.graph;
  // cos/sin of cat(angles, angles), as the reference's rot_pos_emb + apply_rotary_pos_emb_vision:
  // computed in float32, then [patches, 1, head_dim] to broadcast over heads.
  const doubled = graph.op1('Concat', [angles, angles], { axis: attribute.int(-1) });
  const toHeads = (values: string) => layers.fromFloat32(graph.op1('Unsqueeze', [values, graph.int64([1])]));
  const rotaryCos = toHeads(graph.op1('Cos', [doubled]));
  const rotarySin = toHeads(graph.op1('Sin', [doubled]));

  const biasShape = graph.op1('Shape', [keyBias]);
  const windowCount = graph.op1('Slice', [biasShape, graph.int64([0]), graph.int64([1])]);
  const windowLength = graph.op1('Slice', [biasShape, graph.int64([1]), graph.int64([2])]);
  const hiddenDim = graph.int64([vision.hiddenSize]);
  const windowShape = graph.op1('Concat', [windowCount, windowLength, hiddenDim], { axis: attribute.int(0) });
  // MultiHeadAttention's attention_bias is [batch, 1, query, key]: every query row of a window
  // sees the same key mask.
  const biasRows = graph.op1('Reshape', [
    keyBias,
    graph.op1('Concat', [windowCount, graph.int64([1, 1]), windowLength], { axis: attribute.int(0) }),
  ]);
  const biasFull = graph.op1('Expand', [
    biasRows,
    graph.op1('Concat', [windowCount, graph.int64([1]), windowLength, windowLength], { axis: attribute.int(0) }),
  ]);
  const windowBias = layers.fromFloat32(biasFull);

  const frames = graph.op1('Slice', [gridThw, graph.int64([0]), graph.int64([1])]);
  const frameShape = graph.op1('Concat', [frames, graph.int64([-1, vision.hiddenSize])], { axis: attribute.int(0) });
  return { rotaryCos, rotarySin, gatherIndex, scatterIndex, windowShape, windowBias, frameShape };
}

/** Conv3d with kernel = stride = (2, 14, 14) and no bias is a matrix product per patch row. */
async function patchEmbedding(
  layers: LayerWriter,
  pixelValues: string,
  vision: VisionConfig,
  patchSize: number,
): Promise<string> {
  const input = layers.fromFloat32(pixelValues);
  const weight = await layers.readWeight('visual.patch_embed.proj.weight', [
    vision.hiddenSize,
    PATCH_INPUT_CHANNELS,
    vision.temporalPatchSize,
    vision.patchSize,
    vision.patchSize,
  ]);
  return layers.matmul(input, weight, vision.hiddenSize, patchSize, 'visual.patch_embed.proj');
}

async function visionBlock(
  layers: LayerWriter,
  x: string,
  prefix: string,
  vision: VisionConfig,
  inputs: VisionGraphInputs,
  fullAttention: boolean,
): Promise<string> {
  const graph = layers.graph;
  const hiddenSize = vision.hiddenSize;
  const normed = await layers.rmsNorm(x, `${prefix}.norm1.weight`, hiddenSize, vision.rmsNormEps);
  const qkv = await layers.linear(normed, {
    prefix: `${prefix}.attn.qkv`,
    inFeatures: hiddenSize,
    outFeatures: 3 * hiddenSize,
    bias: true,
  });
  const [query, key, value] = graph.op(
    'Split',
    [qkv, graph.int64([hiddenSize, hiddenSize, hiddenSize])],
    { axis: attribute.int(-1) },
    { outputCount: 3 },
  );
  const headShape = graph.int64([-1, vision.numHeads, vision.headDim]);
  const flatShape = graph.int64([-1, hiddenSize]);
  const rotate = (values: string) =>
    graph.op1('Reshape', [
      layers.rotateHalfRotary(
        graph.op1('Reshape', [values, headShape]),
        inputs.rotaryCos,
        inputs.rotarySin,
        vision.headDim,
      ),
      flatShape,
    ]);
  const rotatedQuery = rotate(query!);
  const rotatedKey = rotate(key!);

  const attentionAttributes = { num_heads: attribute.int(vision.numHeads) };
  let attended: string;
  if (fullAttention) {
    const perFrame = (values: string) => graph.op1('Reshape', [values, inputs.frameShape]);
    const output = graph.op1(
      'MultiHeadAttention',
      [perFrame(rotatedQuery), perFrame(rotatedKey), perFrame(value!)],
      attentionAttributes,
      MICROSOFT_DOMAIN,
    );
    attended = graph.op1('Reshape', [output, flatShape]);
  } else {
    const windowed = (values: string) =>
      graph.op1('Reshape', [
        graph.op1('Gather', [values, inputs.gatherIndex], { axis: attribute.int(0) }),
        inputs.windowShape,
      ]);
    const output = graph.op1(
      'MultiHeadAttention',
      [windowed(rotatedQuery), windowed(rotatedKey), windowed(value!), '', '', inputs.windowBias],
      attentionAttributes,
      MICROSOFT_DOMAIN,
    );
    attended = graph.op1('Gather', [graph.op1('Reshape', [output, flatShape]), inputs.scatterIndex], {
      axis: attribute.int(0),
    });
  }
  const projected = await layers.linear(attended, {
    prefix: `${prefix}.attn.proj`,
    inFeatures: hiddenSize,
    outFeatures: hiddenSize,
    bias: true,
  });
  const afterAttention = graph.op1('Add', [x, projected]);
  const normed2 = await layers.rmsNorm(afterAttention, `${prefix}.norm2.weight`, hiddenSize, vision.rmsNormEps);
  const mlp = await layers.gatedMlp(normed2, `${prefix}.mlp`, hiddenSize, vision.intermediateSize, true);
  return graph.op1('Add', [afterAttention, mlp]);
}

/** ln_q (RMSNorm), then each 2x2 merge unit (4 consecutive rows) -> Linear, GELU, Linear. */
async function patchMerger(layers: LayerWriter, x: string, vision: VisionConfig): Promise<string> {
  const graph = layers.graph;
  const unit = vision.spatialMergeSize * vision.spatialMergeSize;
  const mergedSize = vision.hiddenSize * unit;
  const normed = await layers.rmsNorm(x, 'visual.merger.ln_q.weight', vision.hiddenSize, vision.rmsNormEps);
  const grouped = graph.op1('Reshape', [normed, graph.int64([-1, mergedSize])]);
  const first = await layers.linear(grouped, {
    prefix: 'visual.merger.mlp.0',
    inFeatures: mergedSize,
    outFeatures: mergedSize,
    bias: true,
  });
  // nn.GELU() default: the exact erf form.
  const activated = graph.op1('Gelu', [first], {}, MICROSOFT_DOMAIN);
  return layers.linear(activated, {
    prefix: 'visual.merger.mlp.2',
    inFeatures: mergedSize,
    outFeatures: vision.outHiddenSize,
    bias: true,
  });
}

export type { VisionGraphInputs };
