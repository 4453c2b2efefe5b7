// bench/decode (issue 3): one model at batch 1 on this machine — prefill tokens/s, decode tokens/s,
// vision-encoder time for a 1280x720 image (preprocessing included, prefill not), and decode speed as a fraction of the memory-bandwidth
// limit: (weight bytes read per token x tokens/s) / copy bandwidth measured in the same run.
//
//   npx tsx bench/decode.ts <model-dir> [--prompt-tokens 512] [--decode-tokens 32]
import { statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchEngine, greedy, testCard, timeRequest } from './bench-engine.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'prompt-tokens': { type: 'string', default: '512' }, 'decode-tokens': { type: 'string', default: '32' } },
});
function fail(usage: string): never {
  throw new Error(usage);
}
const modelDir: string = positionals[0] ?? fail('usage: npx tsx bench/decode.ts <model-dir>');
const promptTokens = Number(values['prompt-tokens']);
const decodeTokens = Number(values['decode-tokens']);

/** Copy bandwidth (read + write counted once, as a streaming read of weights is): GB/s. */
function copyBandwidth(): number {
  const size = 256 * 1024 * 1024;
  const source = new Uint8Array(size).fill(1);
  const target = new Uint8Array(size);
  target.set(source);
  const samples: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    const started = performance.now();
    target.set(source);
    samples.push(size / ((performance.now() - started) / 1000) / 1e9);
  }
  return samples.sort((a, b) => a - b)[2]!;
}

function decoderWeightBytes(dir: string): number {
  const names = readdirSync(join(dir, 'onnx')).filter(
    (name) =>
      name.startsWith('decoder_model_merged_q4') ||
      (!readdirSync(join(dir, 'onnx')).some((other) => other.includes('_q4')) &&
        name.startsWith('decoder_model_merged')),
  );
  return names.reduce((sum, name) => sum + statSync(join(dir, 'onnx', name)).size, 0);
}

const { engine, close } = await benchEngine(modelDir, { prefillChunkTokens: 512 });
// A prompt of about `promptTokens` tokens: repeated plain words tokenize one token each.
const text = Array.from(
  { length: promptTokens - 20 },
  (_, index) => ['film', 'shot', 'light', 'frame'][index % 4],
).join(' ');
await timeRequest(engine, [{ role: 'user', content: 'warm up' }], greedy(2), 'warm-up');
const prefill = await timeRequest(engine, [{ role: 'user', content: text }], greedy(1), 'prefill');
const decode = await timeRequest(
  engine,
  [{ role: 'user', content: 'Describe the camera angle.' }],
  greedy(decodeTokens + 1),
  'decode',
);
const decodeSeconds = decode.seconds - decode.firstTokenSeconds;
const image = await testCard(1280, 720);
// tokenize() prepares the prompt (media preprocessing in the worker pool + the vision encoder,
// through a cold vision cache) without prefilling it: the encoder's time alone.
const visionStarted = performance.now();
const withImage = await engine.tokenize({
  messages: [
    {
      role: 'user',
      content: [
        { type: 'image', source: { kind: 'bytes', bytes: image } },
        { type: 'text', text: 'Shot size?' },
      ],
    },
  ],
});
const visionSeconds = (performance.now() - visionStarted) / 1000;
const withoutImage = await engine.tokenize({ messages: [{ role: 'user', content: 'Shot size?' }] });
await close();

const bandwidth = copyBandwidth();
const weightBytes = decoderWeightBytes(modelDir);
const decodeRate = decodeTokens / decodeSeconds;
console.log(`decode bench: ${modelDir}`);
console.log(
  `prefill: ${prefill.promptTokens} tokens in ${prefill.seconds.toFixed(2)} s = ${(prefill.promptTokens / prefill.seconds).toFixed(1)} tokens/s`,
);
console.log(
  `decode: ${decodeTokens} tokens in ${decodeSeconds.toFixed(2)} s = ${decodeRate.toFixed(2)} tokens/s (batch 1)`,
);
console.log(
  `vision: 1280x720 image -> ${withImage.tokens.length - withoutImage.tokens.length} vision tokens: ${visionSeconds.toFixed(2)} s (preprocessing + vision encoder, no prefill)`,
);
console.log(
  `memory bandwidth: copy ${bandwidth.toFixed(1)} GB/s; decoder weights ${(weightBytes / 1e9).toFixed(2)} GB read per token`,
);
console.log(
  `decode at ${((weightBytes * decodeRate) / 1e9).toFixed(2)} GB/s of weights = ${((100 * weightBytes * decodeRate) / 1e9 / bandwidth).toFixed(1)}% of the copy-bandwidth limit`,
);
