import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyFrequencyAndPresencePenalties,
  applyLogitBias,
  applyRepetitionPenalty,
  argmax,
  drawCandidate,
  kthLargest,
  NEGLIGIBLE_LOG_WEIGHT,
  selectCandidates,
  type WarperSettings,
} from '../../../src/runtime/sampling/logits-processors.js';
import { readFloat32, readInt64AsNumbers, type RawArrayRef } from '../../../src/util/raw-array.js';
import { fixturePath } from '../../helpers/fixtures.js';

const GOLDEN = fixturePath('golden', 'tiny-a', 'cases');

interface GoldenStep {
  topk_ids: number[][];
  topk_scores: number[][];
  scores_sum: number[];
}

interface GoldenCase {
  name: string;
  input_ids: RawArrayRef;
  /** The vocabulary ids whose logits the fixture keeps (prompt ids, each row's top ids, a regular sample). */
  logits_vocab_columns: RawArrayRef;
  /** [B, 3, K] at those ids, and the float64 sum of each full row. */
  logits_last3: RawArrayRef;
  logits_last3_row_sums: number[][];
  /** [B, K] at those ids, and the float64 sum of each full row. */
  decode_step1_logits: RawArrayRef;
  decode_step1_logits_row_sums: number[];
  vocab_size: number;
  greedy_tokens_values: number[][];
  greedy_rep1p05_tokens_values: number[][];
  greedy_rep1p05_steps: GoldenStep[];
}

function sum(values: Float32Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** Hugging Face/vLLM warpers written the obvious way: full softmax and full sorts. */
function referenceCandidates(logits: Float32Array, { temperature, minP, topK, topP }: WarperSettings): number[] {
  const scaled = Array.from(logits, (value) => value / temperature);
  const max = scaled.reduce((a, b) => Math.max(a, b), -Infinity);
  // Unnormalised: the top token has weight 1, so min_p compares weights with minP directly.
  const probabilities = scaled.map((value) => Math.exp(value - max));
  // Beyond the negligible floor the implementation drops tokens by design (weight < e^-40).
  let kept = probabilities
    .map((_, index) => index)
    .filter((index) => logits[index]! > -Infinity && scaled[index]! >= max - NEGLIGIBLE_LOG_WEIGHT);
  if (minP > 0) kept = kept.filter((index) => (probabilities[index] as number) >= minP);
  if (topK > 0 && kept.length > topK) {
    const kth = [...kept].map((index) => logits[index]!).sort((a, b) => b - a)[topK - 1] as number;
    kept = kept.filter((index) => logits[index]! >= kth);
  }
  if (topP < 1) {
    const ascending = [...kept].sort((a, b) => logits[a]! - logits[b]! || b - a);
    const mass = ascending.reduce((accumulated, index) => accumulated + (probabilities[index] as number), 0);
    let cumulative = 0;
    const removed = new Set<number>();
    ascending.forEach((index, position) => {
      cumulative += (probabilities[index] as number) / mass;
      if (cumulative <= 1 - topP && position < ascending.length - 1) removed.add(index);
    });
    kept = kept.filter((index) => !removed.has(index));
  }
  return kept.sort((a, b) => a - b);
}

describe('repetition penalty', () => {
  it('divides positive and multiplies negative logits, once per distinct token', () => {
    const logits = Float32Array.of(2, -2, 0, 3);
    applyRepetitionPenalty(logits, 2, [0, 1, 1, 0, 2, 99]);
    expect([...logits]).toEqual([1, -4, 0, 3]);
  });

  it.each(['text', 'image'])(
    'matches the Hugging Face golden for the %s case (penalty 1.05 over the prompt)',
    (name) => {
      const meta = JSON.parse(readFileSync(fixturePath('golden', 'tiny-a', 'cases', 'meta.json'), 'utf8')) as {
        cases: GoldenCase[];
      };
      const golden = meta.cases.find((entry) => entry.name === name) as GoldenCase;
      const inputIds = readInt64AsNumbers(GOLDEN, golden.input_ids);
      const columns = readInt64AsNumbers(GOLDEN, golden.logits_vocab_columns);
      const vocabulary = golden.vocab_size;
      // The fixture keeps the logits at `columns` only; the others stay -Infinity, which no penalty
      // raises, and the full-row sum comes from the reference's own statistic plus what changed here.
      const spread = (kept: Float32Array): Float32Array => {
        const logits = new Float32Array(vocabulary).fill(-Infinity);
        columns.forEach((id, index) => (logits[id] = kept[index]!));
        return logits;
      };
      const last3 = readFloat32(GOLDEN, golden.logits_last3);
      const width = columns.length;
      const steps = [
        {
          logits: spread(last3.subarray(2 * width, 3 * width)),
          fullSum: golden.logits_last3_row_sums[0]![2]!,
          ids: inputIds,
        },
        {
          logits: spread(readFloat32(GOLDEN, golden.decode_step1_logits)),
          fullSum: golden.decode_step1_logits_row_sums[0]!,
          ids: [...inputIds, golden.greedy_rep1p05_tokens_values[0]![0]!],
        },
      ];
      // Step 1 reuses the plain greedy decode logits, valid because both paths chose the same first token.
      expect(golden.greedy_rep1p05_tokens_values[0]![0]).toBe(golden.greedy_tokens_values[0]![0]);
      steps.forEach(({ logits, fullSum, ids }, step) => {
        const expected = golden.greedy_rep1p05_steps[step] as GoldenStep;
        // Every id the penalty touches is a prompt id, and the fixture keeps every prompt id.
        expect(ids.every((id) => logits[id] !== -Infinity)).toBe(true);
        const before = sum(Float32Array.from(columns, (id) => logits[id]!));
        applyRepetitionPenalty(logits, 1.05, ids);
        const after = sum(Float32Array.from(columns, (id) => logits[id]!));
        expect(fullSum - before + after).toBeCloseTo(expected.scores_sum[0] as number, 6);
        const order = columns
          .slice()
          .sort((a, b) => logits[b]! - logits[a]! || a - b)
          .slice(0, 10);
        expect(order).toEqual(expected.topk_ids[0]);
        expect(order.map((index) => logits[index])).toEqual(expected.topk_scores[0]);
        expect(argmax(logits)).toBe(golden.greedy_rep1p05_tokens_values[0]![step]);
      });
    },
  );
});

describe('bias and OpenAI penalties', () => {
  it('adds logit bias and ignores ids past the logits', () => {
    const logits = Float32Array.of(0, 1, 2);
    applyLogitBias(
      logits,
      new Map([
        [0, 5],
        [2, -100],
        [7, 1],
      ]),
    );
    expect([...logits]).toEqual([5, 1, -98]);
  });

  it('subtracts frequency * count + presence for generated tokens', () => {
    const logits = Float32Array.of(1, 1, 1, 1);
    applyFrequencyAndPresencePenalties(
      logits,
      new Map([
        [0, 3],
        [2, 1],
      ]),
      0.5,
      0.25,
    );
    expect([...logits]).toEqual([1 - 1.5 - 0.25, 1, 1 - 0.5 - 0.25, 1]);
  });
});

describe('argmax', () => {
  it('takes the lowest index on ties, like torch.argmax', () => {
    expect(argmax(Float32Array.of(1, 3, 3, 2))).toBe(1);
    expect(argmax(Float32Array.of(-Infinity, -Infinity))).toBe(-1);
  });
});

describe('selectCandidates', () => {
  it('keeps every token tied with the k-th value', () => {
    const candidates = selectCandidates(Float32Array.of(1, 3, 2, 2, 0), { temperature: 1, minP: 0, topK: 2, topP: 1 });
    expect(Array.from(candidates.tokenIds)).toEqual([1, 2, 3]);
  });

  it('keeps the smallest prefix whose mass reaches top_p, at least one token', () => {
    // Probabilities 0.5, 0.3, 0.2 (logits are their logs).
    const logits = Float32Array.from([0.5, 0.3, 0.2], Math.log);
    const select = (topP: number) =>
      Array.from(selectCandidates(logits, { temperature: 1, minP: 0, topK: 0, topP }).tokenIds);
    expect(select(0.5)).toEqual([0]);
    expect(select(0.51)).toEqual([0, 1]);
    expect(select(0.81)).toEqual([0, 1, 2]);
    expect(select(1e-9)).toEqual([0]);
  });

  it('drops tokens under min_p times the top probability, after temperature', () => {
    const logits = Float32Array.from([0.6, 0.3, 0.1], Math.log);
    expect(Array.from(selectCandidates(logits, { temperature: 1, minP: 0.4, topK: 0, topP: 1 }).tokenIds)).toEqual([
      0, 1,
    ]);
    // At temperature 2 the distribution flattens: 0.1 rises above 0.4 * top.
    expect(Array.from(selectCandidates(logits, { temperature: 2, minP: 0.4, topK: 0, topP: 1 }).tokenIds)).toEqual([
      0, 1, 2,
    ]);
  });

  it('agrees with full-sort Hugging Face/vLLM warpers on random logits (property)', () => {
    const settings = fc.record({
      temperature: fc.double({ min: 0.05, max: 3, noNaN: true }),
      minP: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
      topK: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
      topP: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 1, noNaN: true })),
    });
    const logits = fc.array(fc.oneof(fc.double({ min: -30, max: 30, noNaN: true }), fc.constant(-Infinity)), {
      minLength: 1,
      maxLength: 60,
    });
    fc.assert(
      fc.property(logits, settings, (values, warpers) => {
        const row = Float32Array.from(values);
        fc.pre(row.some((value) => value > -Infinity));
        expect(Array.from(selectCandidates(row, warpers).tokenIds).sort((a, b) => a - b)).toEqual(
          referenceCandidates(row, warpers),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('agrees with the full-sort reference on a peaked vocabulary-sized row (pruned path)', () => {
    const generator = fc.sample(fc.double({ min: -12, max: 12, noNaN: true }), { numRuns: 151_936, seed: 3 });
    const row = Float32Array.from(generator);
    row[1234] = 25;
    row[777] = 24;
    for (const warpers of [
      { temperature: 1, minP: 0, topK: 0, topP: 0.9 },
      { temperature: 0.7, minP: 0, topK: 50, topP: 1 },
      { temperature: 1, minP: 0.05, topK: 20, topP: 0.95 },
      { temperature: 1.5, minP: 0, topK: 0, topP: 0.8 },
    ]) {
      expect(Array.from(selectCandidates(row, warpers).tokenIds).sort((a, b) => a - b)).toEqual(
        referenceCandidates(row, warpers),
      );
    }
  });
});

describe('kthLargest', () => {
  it('equals the k-th entry of a descending sort (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 50 }),
        fc.nat(),
        (values, seed) => {
          const k = 1 + (seed % values.length);
          const sorted = [...values].sort((a, b) => b - a);
          expect(kthLargest(Float64Array.from(values), k)).toBe(sorted[k - 1]);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('drawCandidate', () => {
  it('inverts the cumulative distribution', () => {
    const candidates = { tokenIds: Int32Array.of(4, 9, 2), weights: Float64Array.of(1, 2, 1), total: 4 };
    expect(drawCandidate(candidates, 0)).toBe(4);
    expect(drawCandidate(candidates, 0.2499)).toBe(4);
    expect(drawCandidate(candidates, 0.25)).toBe(9);
    expect(drawCandidate(candidates, 0.7499)).toBe(9);
    expect(drawCandidate(candidates, 0.75)).toBe(2);
    expect(drawCandidate(candidates, 1 - Number.EPSILON)).toBe(2);
  });
});
