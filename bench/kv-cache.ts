// bench/kv-cache: what the KV cache costs per decode step under the two ways onnxruntime-node can
// hold it (issue 4). "concat": past tensors in, new present tensors out (GroupQueryAttention copies
// past -> present inside onnxruntime, then the binding copies present into a new JS buffer), as
// the per-sequence runner does. "in place": one preallocated [batch, kv, capacity, head_dim]
// buffer per layer fed as past AND bound as the present output, so GroupQueryAttention runs in
// its shared-buffer mode and writes only the new token. Interleaved rounds, medians, one run.
//
//   npx tsx bench/kv-cache.ts <model-dir> [--format q4] [--contexts 256,2048,6144] [--batch 1,4]
import * as ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';
import { graphPath, type WeightFormat } from '../src/model-format/model-files.js';
import { readModelConfig } from '../src/model-format/read-model-config.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    format: { type: 'string', default: 'q4' },
    contexts: { type: 'string', default: '256,2048,6144' },
    batch: { type: 'string', default: '1,4' },
    rounds: { type: 'string', default: '5' },
  },
});
const modelDir = positionals[0];
if (modelDir === undefined) throw new Error('usage: npx tsx bench/kv-cache.ts <model-dir> [--format q4]');
const format = values.format as WeightFormat;
const config = readModelConfig(modelDir);
const { numLayers, numKeyValueHeads: kv, headDim, hiddenSize } = config.text;
const kvType = format === 'fp16' ? 'float16' : 'float32';
const session = await ort.InferenceSession.create(graphPath(modelDir, 'decoder_model_merged', format), {
  intraOpNumThreads: 2,
});
const allocate = (count: number) =>
  kvType === 'float16' ? new Uint16Array(count) : new Float32Array(count).fill(0.01);
const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

function commonFeeds(batch: number, context: number): Record<string, ort.Tensor> {
  const mask = new BigInt64Array(batch * (context + 1)).fill(1n);
  const positions = new BigInt64Array(3 * batch).fill(BigInt(context));
  return {
    inputs_embeds: new ort.Tensor('float32', new Float32Array(batch * hiddenSize).fill(0.01), [batch, 1, hiddenSize]),
    attention_mask: new ort.Tensor('int64', mask, [batch, context + 1]),
    position_ids: new ort.Tensor('int64', positions, [3, batch, 1]),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  };
}

async function concatStep(batch: number, context: number, past: ort.Tensor[]): Promise<number> {
  const feeds = commonFeeds(batch, context);
  for (let layer = 0; layer < numLayers; layer += 1) {
    feeds[`past_key_values.${layer}.key`] = past[2 * layer]!;
    feeds[`past_key_values.${layer}.value`] = past[2 * layer + 1]!;
  }
  const started = performance.now();
  await session.run(feeds);
  return performance.now() - started;
}

async function inPlaceStep(batch: number, context: number, buffers: ort.Tensor[]): Promise<number> {
  const feeds = commonFeeds(batch, context);
  const fetches: Record<string, ort.Tensor | null> = { logits: null };
  for (let layer = 0; layer < numLayers; layer += 1) {
    for (const [index, kind] of ['key', 'value'].entries()) {
      feeds[`past_key_values.${layer}.${kind}`] = buffers[2 * layer + index]!;
      fetches[`present.${layer}.${kind}`] = buffers[2 * layer + index]!;
    }
  }
  const started = performance.now();
  await session.run(feeds, fetches as ort.InferenceSession.FetchesType);
  return performance.now() - started;
}

console.log(
  `kv-cache: ${modelDir} (${format}), ${numLayers} layers, KV ${kvType}, ${(numLayers * 2 * kv * headDim * (kvType === 'float16' ? 2 : 4)) / 1024} KiB per token`,
);
console.log('| batch | context | concat ms/step | in-place ms/step | concat / in-place |');
console.log('|---:|---:|---:|---:|---:|');
for (const batch of values.batch.split(',').map(Number)) {
  for (const context of values.contexts.split(',').map(Number)) {
    const past = Array.from(
      { length: 2 * numLayers },
      () => new ort.Tensor(kvType, allocate(batch * kv * context * headDim), [batch, kv, context, headDim]),
    );
    const capacity = context + 64;
    const buffers = Array.from(
      { length: 2 * numLayers },
      () => new ort.Tensor(kvType, allocate(batch * kv * capacity * headDim), [batch, kv, capacity, headDim]),
    );
    await concatStep(batch, context, past);
    await inPlaceStep(batch, context, buffers);
    const concat: number[] = [];
    const inPlace: number[] = [];
    for (let round = 0; round < Number(values.rounds); round += 1) {
      concat.push(await concatStep(batch, context, past));
      inPlace.push(await inPlaceStep(batch, context, buffers));
    }
    const a = median(concat);
    const b = median(inPlace);
    console.log(`| ${batch} | ${context} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(a / b).toFixed(2)}x |`);
  }
}
