// The inputs of one synthetic decode step of a decoder graph, for the benchmarks that time the graph
// alone (bench/decode-step, bench/profile-decode): `batch` rows of one new token each over a cache
// of `past` positions. Past and present share one buffer of capacity past + 1 per layer, as the
// in-place KV store binds them (GroupQueryAttention's shared-buffer mode), so the same feeds can run
// step after step.
import * as ort from 'onnxruntime-node';
import type { ModelConfig } from '../src/model-format/model-config.js';

export interface DecodeStepTensors {
  feeds: Record<string, ort.Tensor>;
  /** logits left to onnxruntime; every present bound to its past tensor. */
  fetches: ort.InferenceSession.FetchesType;
}

export function decodeStepTensors(text: ModelConfig['text'], batch: number, past: number): DecodeStepTensors {
  const kvShape = [batch, text.numKeyValueHeads, past + 1, text.headDim];
  const kvSize = kvShape.reduce((a, b) => a * b, 1);
  const feeds: Record<string, ort.Tensor> = {
    inputs_embeds: new ort.Tensor('float32', new Float32Array(batch * text.hiddenSize).fill(0.01), [
      batch,
      1,
      text.hiddenSize,
    ]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * (past + 1)).fill(1n), [batch, past + 1]),
    position_ids: new ort.Tensor('int64', new BigInt64Array(3 * batch).fill(BigInt(past)), [3, batch, 1]),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  };
  const fetches: Record<string, ort.Tensor | null> = { logits: null };
  for (let layer = 0; layer < text.numLayers; layer += 1) {
    for (const kind of ['key', 'value']) {
      const tensor = new ort.Tensor('float32', new Float32Array(kvSize), kvShape);
      feeds[`past_key_values.${layer}.${kind}`] = tensor;
      fetches[`present.${layer}.${kind}`] = tensor;
    }
  }
  return { feeds, fetches: fetches as ort.InferenceSession.FetchesType };
}
