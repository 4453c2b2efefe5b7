// bench/formats (issue 12): the load formats of one model folder side by side, in one run, through
// the engine (in process): for each round and format a fresh engine, then
//
//   vision    a 1280x720 still through engine.tokenize (preprocessing + vision encoder, cold cache)
//   prefill   a ~512-token text prompt, one chunk (time to its first token)
//   decode    greedy tokens at batch 1 after a short prompt
//   analyze   /analyze-shot fast mode: the seven image dimensions of ShotBench about one 1280x720
//             still, submitted together (one encode, one shared prefix prefill)
//
// and, between the decode runs, this machine's read bandwidth with two threads
// (bench/native/read-bandwidth.c, compiled on first use), so decode's weight traffic is compared
// with what two threads can actually read at that moment. Formats alternate order from round to
// round and every ratio is taken against the baseline format's figure of the same round.
//
//   npx tsx bench/formats.ts <model-dir>... [--formats q4,q4-int8] [--rounds 1] [--decode-tokens 32]
//                            [--skip vision,prefill,decode,analyze]
//
// With several model folders (e.g. the same checkpoint converted with other q4 block sizes), every
// folder runs every format it has; the first folder's first format is the baseline.
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import {
  availableLoadFormats,
  graphFormats,
  graphPath,
  isLoadFormat,
  type LoadFormat,
} from '../src/model-format/model-files.js';
import { applicableDimensions } from '../src/shot/analysis/analysis-dimensions.js';
import { analysisQuestion } from '../src/shot/analysis/analysis-question.js';
import type { Engine, MediaItem } from '../src/runtime/engine/engine-api.js';
import { createMediaPreprocessor } from '../src/runtime/engine/media-preprocessor.js';
import type { MediaPreprocessor } from '../src/runtime/engine/vision-cache.js';
import { readModelConfig } from '../src/model-format/read-model-config.js';
import { buildVisionEncoderInputs } from '../src/runtime/qwen2-5-vl/vision-inputs.js';
import { benchEngine, greedy, testCard, timeRequest } from './bench-engine.js';
import { decodeGraphBytes, readBandwidth } from './read-bandwidth.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    formats: { type: 'string', default: 'q4,q4-int8' },
    rounds: { type: 'string', default: '1' },
    'decode-tokens': { type: 'string', default: '32' },
    'prompt-tokens': { type: 'string', default: '512' },
    skip: { type: 'string', default: '' },
  },
});
if (positionals.length === 0) throw new Error('usage: npx tsx bench/formats.ts <model-dir>... [--formats q4,q4-int8]');
const requestedFormats = values.formats.split(',').map((format) => {
  if (!isLoadFormat(format)) throw new Error(`unknown format ${format}`);
  return format;
});
interface Variant {
  label: string;
  modelDir: string;
  format: LoadFormat;
}
const variants: Variant[] = positionals.flatMap((folder) => {
  const modelDir = resolve(folder);
  const available = availableLoadFormats(modelDir);
  return requestedFormats
    .filter((format) => available.includes(format))
    .map((format) => ({
      label: positionals.length > 1 ? `${basename(modelDir)} ${format}` : format,
      modelDir,
      format,
    }));
});
if (variants.length === 0) throw new Error('no folder has any of the requested formats');
const rounds = Number(values.rounds);
const decodeTokens = Number(values['decode-tokens']);
const promptTokens = Number(values['prompt-tokens']);
const skipped = new Set(values.skip.split(',').filter((name) => name !== ''));

const image = await testCard(1280, 720);
// The vision cache is keyed by content: the analyze step gets its own (mirrored) still, so it pays
// for its encode as /analyze-shot does instead of reusing the vision step's features.
const sharp = (await import('sharp')).default;
const analyzeImage = new Uint8Array(await sharp(image).flop().png().toBuffer());
const imageDimensions = applicableDimensions('image');

/**
 * The 1280x720 still through the media preprocessor and the variant's vision graph, in a session
 * of its own: engine.tokenize no longer runs the encoder (it counts tokens from the grid).
 */
async function vision(variant: Variant, media: MediaPreprocessor): Promise<number> {
  const config = readModelConfig(variant.modelDir);
  const session = await ort.InferenceSession.create(
    graphPath(variant.modelDir, 'vision_encoder', graphFormats(variant.format).vision),
    { graphOptimizationLevel: 'all' },
  );
  try {
    const started = performance.now();
    const item: MediaItem = { type: 'image', source: { kind: 'bytes', bytes: image } };
    const { pixelValues, gridThw } = await media.preprocess(item, undefined);
    const inputs = buildVisionEncoderInputs(gridThw, config.vision);
    const patches = gridThw[0] * gridThw[1] * gridThw[2];
    await session.run({
      pixel_values: new ort.Tensor('float32', pixelValues, [patches, pixelValues.length / patches]),
      rotary_angles: new ort.Tensor('float32', inputs.rotaryAngles, [patches, inputs.rotaryAngles.length / patches]),
      window_gather_index: new ort.Tensor('int64', inputs.windowGatherIndex, [inputs.windowGatherIndex.length]),
      window_key_bias: new ort.Tensor('float32', inputs.windowKeyBias, [inputs.windowCount, inputs.windowLength]),
      window_scatter_index: new ort.Tensor('int64', inputs.windowScatterIndex, [patches]),
      grid_thw: new ort.Tensor('int64', BigInt64Array.from(gridThw, BigInt), [3]),
    });
    return (performance.now() - started) / 1000;
  } finally {
    await session.release();
  }
}

async function analyzeSeven(engine: Engine, salt: string): Promise<number> {
  const started = performance.now();
  await Promise.all(
    imageDimensions.map((dimension) => {
      const asked = analysisQuestion(dimension, 'fast');
      return timeRequest(
        engine,
        [
          { role: 'system', content: asked.systemPrompt },
          {
            role: 'user',
            content: [
              { type: 'image', source: { kind: 'bytes', bytes: analyzeImage } },
              { type: 'text', text: asked.userText },
            ],
          },
        ],
        greedy(1, { choices: [...asked.letters] }),
        salt,
      );
    }),
  );
  return (performance.now() - started) / 1000;
}

interface Figures {
  visionSeconds?: number;
  prefillTokensPerSecond?: number;
  prefillTokens?: number;
  decodeTokensPerSecond?: number;
  readBandwidth?: number;
  analyzeSeconds?: number;
}

const promptText = Array.from(
  { length: promptTokens - 20 },
  (_, index) => ['film', 'shot', 'light', 'frame'][index % 4],
).join(' ');

async function measure(variant: Variant, round: number): Promise<Figures> {
  const figures: Figures = {};
  if (!skipped.has('vision')) {
    const media = createMediaPreprocessor();
    try {
      figures.visionSeconds = await vision(variant, media);
    } finally {
      await media.close();
    }
  }
  const { engine, close } = await benchEngine(variant.modelDir, { prefillChunkTokens: 512 }, variant.format);
  try {
    await timeRequest(engine, [{ role: 'user', content: 'warm up' }], greedy(2), `warm-${round}`);
    if (!skipped.has('prefill')) {
      const prefill = await timeRequest(engine, [{ role: 'user', content: promptText }], greedy(1), `p-${round}`);
      figures.prefillTokens = prefill.promptTokens;
      figures.prefillTokensPerSecond = prefill.promptTokens / prefill.firstTokenSeconds;
    }
    if (!skipped.has('decode')) {
      figures.readBandwidth = readBandwidth();
      const decode = await timeRequest(
        engine,
        [{ role: 'user', content: 'Describe the camera angle.' }],
        greedy(decodeTokens + 1),
        `d-${round}`,
      );
      figures.decodeTokensPerSecond = decodeTokens / (decode.seconds - decode.firstTokenSeconds);
    }
    if (!skipped.has('analyze')) figures.analyzeSeconds = await analyzeSeven(engine, `a-${round}`);
  } finally {
    await close();
  }
  console.error(`round ${round} ${variant.label}: ${JSON.stringify(figures)}`);
  return figures;
}

const results = new Map<Variant, Figures[]>(variants.map((variant) => [variant, []]));
for (let round = 0; round < rounds; round += 1) {
  const order = round % 2 === 0 ? variants : [...variants].reverse();
  for (const variant of order) results.get(variant)!.push(await measure(variant, round));
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((left, right) => left - right);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median over rounds of value / baseline value of the same round. */
function pairedRatio(key: keyof Figures, variant: Variant): string {
  const baseline = results.get(variants[0]!)!;
  const ratios = results
    .get(variant)!
    .map((figures, round) => (figures[key] ?? Number.NaN) / (baseline[round]![key] ?? Number.NaN));
  return `${median(ratios).toFixed(2)}x`;
}

const cell = (variant: Variant, key: keyof Figures, digits: number) => {
  const numbers = results
    .get(variant)!
    .map((figures) => figures[key])
    .filter((value): value is number => value !== undefined && Number.isFinite(value));
  return numbers.length === 0 ? 'n/a' : median(numbers).toFixed(digits);
};

console.log(`formats bench: ${positionals.join(', ')}, ${rounds} rounds, baseline ${variants[0]!.label}`);
console.log(
  '| format | vision 1280x720 s | vs base | prefill tokens/s | vs base | decode tokens/s | vs base | decode GB/token | GB/s read | 2-thread read GB/s | fraction | analyze 7 dims s | vs base |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const variant of variants) {
  const bytes = decodeGraphBytes(variant);
  const perRound = results.get(variant)!.map((figures) => ({
    traffic: ((figures.decodeTokensPerSecond ?? Number.NaN) * bytes) / 1e9,
    fraction: ((figures.decodeTokensPerSecond ?? Number.NaN) * bytes) / 1e9 / (figures.readBandwidth ?? Number.NaN),
  }));
  console.log(
    `| ${variant.label} | ${cell(variant, 'visionSeconds', 2)} | ${pairedRatio('visionSeconds', variant)} | ${cell(variant, 'prefillTokensPerSecond', 1)} | ${pairedRatio('prefillTokensPerSecond', variant)} | ${cell(variant, 'decodeTokensPerSecond', 2)} | ${pairedRatio('decodeTokensPerSecond', variant)} | ${(bytes / 1e9).toFixed(2)} | ${median(perRound.map((entry) => entry.traffic)).toFixed(2)} | ${cell(variant, 'readBandwidth', 1)} | ${(100 * median(perRound.map((entry) => entry.fraction))).toFixed(0)}% | ${cell(variant, 'analyzeSeconds', 2)} | ${pairedRatio('analyzeSeconds', variant)} |`,
  );
}
