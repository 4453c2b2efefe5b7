// bench/structured-output (issue 11): decode tokens/s of a json_schema request against the same
// request unconstrained, at batch 1 and 8, in one run (rounds alternate the two so load from other
// jobs hits both alike). The schema never completes on random weights (an open array of strings),
// so both sides decode the same number of tokens; the grammar's cost per token is the ratio.
//
//   npx tsx bench/structured-output.ts <model-dir> [--tokens 48] [--rounds 3]
import { parseArgs } from 'node:util';
import type { SamplingOptions } from '../src/runtime/engine/engine-api.js';
import { benchEngine, greedy, timeRequest, type RequestTiming } from './bench-engine.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tokens: { type: 'string', default: '48' }, rounds: { type: 'string', default: '3' } },
});
const modelDir = positionals[0];
if (modelDir === undefined) throw new Error('usage: npx tsx bench/structured-output.ts <model-dir> [--tokens 48]');
const tokens = Number(values.tokens);
const rounds = Number(values.rounds);

const SCHEMA = {
  type: 'object',
  properties: {
    shot_size: { enum: ['wide', 'medium', 'close-up'] },
    notes: { type: 'string', minLength: 2000 },
  },
  required: ['shot_size', 'notes'],
  additionalProperties: false,
};

function sampling(constrained: boolean): SamplingOptions {
  return greedy(tokens, {
    ignoreEos: false,
    ...(constrained
      ? { structuredOutput: { grammar: { kind: 'json_schema' as const, schema: SCHEMA }, param: 'bench' } }
      : {}),
  });
}

/** Decode tokens/s of a batch: tokens after each request's first, over the time after the batch's first token. */
async function batchRate(
  engine: Awaited<ReturnType<typeof benchEngine>>['engine'],
  size: number,
  constrained: boolean,
) {
  const started = performance.now();
  const timings: RequestTiming[] = await Promise.all(
    Array.from({ length: size }, (_, index) =>
      timeRequest(engine, [{ role: 'user', content: `Describe shot ${index} as JSON.` }], sampling(constrained)),
    ),
  );
  const firstToken = Math.min(...timings.map((timing) => timing.firstTokenSeconds));
  const wall = (performance.now() - started) / 1000;
  const decoded = timings.reduce((sum, timing) => sum + timing.completionTokens - 1, 0);
  return { rate: decoded / (wall - firstToken), decoded, valid: timings.map((timing) => timing.text) };
}

const { engine, close } = await benchEngine(modelDir, { maxRunningSequences: 8 });
try {
  // Warm-up: sessions, and the grammar compiled once (later requests hit the cache).
  const compileStarted = performance.now();
  await batchRate(engine, 1, true);
  const firstCompileAndRun = (performance.now() - compileStarted) / 1000;
  await batchRate(engine, 1, false);
  console.log(
    `model ${modelDir}, ${tokens} tokens per request, ${rounds} rounds; warm-up with compile ${firstCompileAndRun.toFixed(2)} s`,
  );
  console.log(
    '| batch | unconstrained tok/s | json_schema tok/s | json_schema / unconstrained | grammar share of decode time |',
  );
  console.log('|---:|---:|---:|---:|---:|');
  for (const size of [1, 8]) {
    const ratios: number[] = [];
    const free: number[] = [];
    const bound: number[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first.
      const first = round % 2 === 0;
      const a = await batchRate(engine, size, !first);
      const b = await batchRate(engine, size, first);
      const [unconstrained, constrained] = first ? [a, b] : [b, a];
      free.push(unconstrained.rate);
      bound.push(constrained.rate);
      ratios.push(constrained.rate / unconstrained.rate);
      if (constrained.decoded !== unconstrained.decoded)
        console.log(`  note: round ${round} decoded ${constrained.decoded} vs ${unconstrained.decoded} tokens`);
    }
    const median = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)]!;
    const ratio = median(ratios);
    console.log(
      `| ${size} | ${median(free).toFixed(1)} | ${median(bound).toFixed(1)} | ${ratio.toFixed(3)} | ${((1 - ratio) * 100).toFixed(1)}% |`,
    );
  }
} finally {
  await close();
}
