// bench/shot-cache (issues 4 and 6): the cost of asking the seven image questions of ShotBench
// (every image dimension, fast mode: constrained choice over the option letters) about one shot,
// divided by the cost of asking one — same image, same model, same run. Each measurement starts a
// fresh engine, so caches start cold; the seven questions are submitted together, as
// /analyze-shot does, and the engine encodes and prefills the shot once. Goal: at most 1.5.
//
//   npx tsx bench/shot-cache.ts <model-dir> [--image FILE] [--width 1280 --height 720]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { applicableDimensions } from '../src/shot/analysis/analysis-dimensions.js';
import { analysisQuestion } from '../src/shot/analysis/analysis-question.js';
import type { ChatMessage } from '../src/runtime/engine/engine-api.js';
import { benchEngine, greedy, testCard, timeRequest } from './bench-engine.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    image: { type: 'string' },
    width: { type: 'string', default: '1280' },
    height: { type: 'string', default: '720' },
  },
});
function fail(usage: string): never {
  throw new Error(usage);
}
const modelDir: string = positionals[0] ?? fail('usage: npx tsx bench/shot-cache.ts <model-dir> [--image FILE]');
const image =
  values.image === undefined
    ? await testCard(Number(values.width), Number(values.height))
    : new Uint8Array(readFileSync(values.image));

const imageCategories = applicableDimensions('image');
function question(category: (typeof imageCategories)[number]): { messages: ChatMessage[]; letters: string[] } {
  const asked = analysisQuestion(category, 'fast');
  return {
    messages: [
      { role: 'system', content: asked.systemPrompt },
      {
        role: 'user',
        content: [
          { type: 'image', source: { kind: 'bytes', bytes: image } },
          { type: 'text', text: asked.userText },
        ],
      },
    ],
    letters: [...asked.letters],
  };
}

async function measure(count: number): Promise<{ seconds: number; cached: number[] }> {
  const { engine, close } = await benchEngine(modelDir);
  await timeRequest(engine, [{ role: 'user', content: 'warm up' }], greedy(1));
  const started = performance.now();
  const results = await Promise.all(
    imageCategories.slice(0, count).map((category) => {
      const { messages, letters } = question(category);
      return timeRequest(engine, messages, greedy(1, { choices: letters }));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await close();
  return { seconds, cached: results.map((result) => result.cachedTokens) };
}

const one = await measure(1);
const seven = await measure(imageCategories.length);
console.log(`shot-cache bench: ${modelDir}, image ${values.image ?? `${values.width}x${values.height} test card`}`);
console.log(
  `one question: ${one.seconds.toFixed(2)} s; ${imageCategories.length} questions: ${seven.seconds.toFixed(2)} s (cached prompt tokens per question: ${seven.cached.join(', ')})`,
);
console.log(
  `cost of ${imageCategories.length} questions / cost of one = ${(seven.seconds / one.seconds).toFixed(2)} (goal <= 1.5)`,
);
