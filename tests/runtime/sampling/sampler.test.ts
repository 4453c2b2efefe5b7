import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChoiceConstraint, ChoiceTrie } from '../../../src/runtime/sampling/choice-constraint.js';
import type { RandomSource } from '../../../src/runtime/sampling/random.js';
import { Sampler, SamplingError, type SamplerOptions } from '../../../src/runtime/sampling/sampler.js';
import { createSamplingParams, type SamplingParamsInput } from '../../../src/runtime/sampling/sampling-params.js';

function sampler(input: SamplingParamsInput, options: SamplerOptions = {}): Sampler {
  return new Sampler(createSamplingParams(input), options);
}

/** Runs `steps` steps on fixed logits, feeding back what was generated. */
function generate(instance: Sampler, logits: Float32Array, steps: number): number[] {
  const generated: number[] = [];
  for (let step = 0; step < steps; step++) generated.push(instance.next(logits, generated).tokenId);
  return generated;
}

function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const weights = values.map((value) => Math.exp(value - max));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((weight) => weight / total);
}

/** Draw frequencies over `count` independent first steps. */
function frequencies(input: SamplingParamsInput, logits: Float32Array, count: number): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  const instance = sampler({ ...input, seed: 1234 });
  for (let draw = 0; draw < count; draw++) counts[instance.next(logits, []).tokenId]! += 1;
  return counts.map((value) => value / count);
}

const LOGITS = Float32Array.of(1.0, 2.0, 0.5, -1.0, 1.5);

describe('Sampler', () => {
  it('decodes greedily at temperature 0, lowest index on ties, ignoring top-k/top-p', () => {
    expect(sampler({ temperature: 0 }).next(Float32Array.of(0, 5, 5, 1), []).tokenId).toBe(1);
    expect(sampler({ temperature: 1e-6, topK: 3, topP: 0.1 }).next(LOGITS, []).tokenId).toBe(1);
  });

  it('repeats a seeded run exactly, and streams differ by sequence index', () => {
    const run = (seed: number, sequenceIndex = 0) =>
      generate(sampler({ seed, temperature: 1.2 }, { sequenceIndex }), LOGITS, 40);
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(run(7, 0)).not.toEqual(run(7, 1));
    const unseeded = sampler({ temperature: 1.2 });
    const replay = sampler({ temperature: 1.2, seed: unseeded.seed });
    expect(generate(unseeded, LOGITS, 40)).toEqual(generate(replay, LOGITS, 40));
  });

  it('samples in proportion to softmax(logits / T)', () => {
    for (const temperature of [1, 0.5, 2]) {
      const observed = frequencies({ temperature }, LOGITS, 20_000);
      const expected = softmax(Array.from(LOGITS, (value) => value / temperature));
      observed.forEach((frequency, index) =>
        expect(Math.abs(frequency - (expected[index] as number))).toBeLessThan(0.015),
      );
    }
  });

  it('samples only inside top-k, top-p and min-p', () => {
    expect(frequencies({ topK: 2 }, LOGITS, 2_000).map((value) => value > 0)).toEqual([
      false,
      true,
      false,
      false,
      true,
    ]);
    // Probabilities 0.16, 0.45, 0.10, 0.02, 0.27: top_p 0.6 keeps tokens 1 and 4.
    expect(frequencies({ topP: 0.6 }, LOGITS, 2_000).map((value) => value > 0)).toEqual([
      false,
      true,
      false,
      false,
      true,
    ]);
    // Relative to the top token: 0.37, 1, 0.22, 0.05, 0.61.
    expect(frequencies({ minP: 0.3 }, LOGITS, 2_000).map((value) => value > 0)).toEqual([
      true,
      true,
      false,
      false,
      true,
    ]);
    expect(frequencies({ minP: 0.5 }, LOGITS, 2_000).map((value) => value > 0)).toEqual([
      false,
      true,
      false,
      false,
      true,
    ]);
  });

  it('penalises repetition over prompt and generated tokens, presence and frequency over generated only', () => {
    const logits = Float32Array.of(3.0, 2.9, 2.0);
    expect(sampler({ temperature: 0, repetitionPenalty: 1.1 }, { promptTokenIds: [0] }).next(logits, []).tokenId).toBe(
      1,
    );
    expect(sampler({ temperature: 0, repetitionPenalty: 1.1 }).next(logits, [0]).tokenId).toBe(1);
    expect(sampler({ temperature: 0, presencePenalty: 0.5 }, { promptTokenIds: [0] }).next(logits, []).tokenId).toBe(0);
    expect(sampler({ temperature: 0, presencePenalty: 0.5 }).next(logits, [0]).tokenId).toBe(1);
    // Frequency scales with the count: token 0 generated once loses 0.4 and falls below token 1.
    const frequency = sampler({ temperature: 0, frequencyPenalty: 0.4, logprobs: true }, { logprobsMode: 'processed' });
    expect(frequency.next(logits, [2, 2]).tokenId).toBe(0);
    const result = frequency.next(logits, [2, 2, 0]);
    expect(result.tokenId).toBe(1);
    const processed = [3.0 - 0.4, 2.9, 2.0 - 0.8];
    const normaliser = Math.log(processed.reduce((total, value) => total + Math.exp(value), 0));
    expect(result.logprobs?.logprob).toBeCloseTo(2.9 - normaliser, 6);
  });

  it('recounts when the caller rewinds the generated tokens', () => {
    const instance = sampler({ temperature: 0, presencePenalty: 2 });
    const logits = Float32Array.of(1, 0.5);
    expect(instance.next(logits, [0]).tokenId).toBe(1);
    expect(instance.next(logits, []).tokenId).toBe(0);
  });

  it('applies logit bias', () => {
    expect(sampler({ temperature: 0, logitBias: { '3': 100 } }).next(LOGITS, []).tokenId).toBe(3);
    expect(frequencies({ logitBias: { '1': -100 } }, LOGITS, 2_000)[1]).toBe(0);
  });

  it('reports raw logprobs by default and processed ones on request, with rank and top alternatives', () => {
    const logits = Float32Array.of(1, 3, 2, 0);
    const rawNormaliser = Math.log([1, 3, 2, 0].reduce((total, value) => total + Math.exp(value), 0));
    const raw = sampler({ temperature: 0, logitBias: { '0': 5 }, logprobs: true, topLogprobs: 2 }).next(logits, []);
    expect(raw.tokenId).toBe(0);
    expect(raw.logprobs?.logprob).toBeCloseTo(1 - rawNormaliser, 6);
    expect(raw.logprobs?.rank).toBe(3);
    expect(raw.logprobs?.top.map((entry) => entry.tokenId)).toEqual([1, 2]);
    expect(raw.logprobs?.top[0]?.logprob).toBeCloseTo(3 - rawNormaliser, 6);

    const processed = sampler(
      { temperature: 0, logitBias: { '0': 5 }, logprobs: true, topLogprobs: 1 },
      { logprobsMode: 'processed' },
    ).next(logits, []);
    const processedNormaliser = Math.log([6, 3, 2, 0].reduce((total, value) => total + Math.exp(value), 0));
    expect(processed.logprobs?.logprob).toBeCloseTo(6 - processedNormaliser, 6);
    expect(processed.logprobs?.rank).toBe(1);
    expect(processed.logprobs?.top).toEqual([{ tokenId: 0, logprob: processed.logprobs?.logprob }]);
    expect(sampler({ temperature: 0 }).next(logits, []).logprobs).toBeUndefined();
  });

  it('picks the same greedy token on the raw-row fast path as on the full path (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -5, max: 5 }), fc.constantFrom(Number.NaN, -Infinity, 5)), {
          minLength: 1,
          maxLength: 40,
        }),
        (values) => {
          const logits = Float32Array.from(values);
          if (!values.some((value) => value > -Infinity)) return;
          // logprobs forces the scrubbed copy and the processors; the plain sampler skips them.
          const full = sampler({ temperature: 0, logprobs: true }).next(logits, []).tokenId;
          expect(sampler({ temperature: 0 }).next(logits, []).tokenId).toBe(full);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves the caller’s logits untouched, ignores NaN and fails when nothing can be sampled', () => {
    const logits = Float32Array.of(Number.NaN, 1, 2);
    const copy = Float32Array.from(logits);
    expect(
      sampler({ temperature: 0, repetitionPenalty: 2, logitBias: { '1': 3 } }, { promptTokenIds: [2] }).next(
        logits,
        [1],
      ).tokenId,
    ).toBe(1);
    expect(logits).toEqual(copy);
    expect(() => sampler({ temperature: 0 }).next(Float32Array.of(-Infinity, Number.NaN), [])).toThrow(SamplingError);
    expect(() => sampler({ temperature: 1 }).next(Float32Array.of(-Infinity, -Infinity), [])).toThrow(SamplingError);
  });

  it('uses the injected random source', () => {
    const fixed: RandomSource = { nextFloat: () => 0.999999 };
    expect(sampler({ temperature: 1 }, { random: fixed }).next(Float32Array.of(0, 0, 0), []).tokenId).toBe(2);
  });
});

describe('Sampler with a choice constraint', () => {
  const choiceSets = fc
    .uniqueArray(fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 3 }), {
      minLength: 1,
      maxLength: 5,
      selector: (tokens) => tokens.join(','),
    })
    .filter((choices) => choices.every((tokens) => !tokens.includes(12)));

  it('always produces exactly one of the choices (property)', () => {
    fc.assert(
      fc.property(
        choiceSets,
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 13, maxLength: 13 }),
        fc.record({ temperature: fc.constantFrom(0, 0.7, 1.5), topP: fc.constantFrom(1, 0.5), seed: fc.integer() }),
        (choices, values, input) => {
          const trie = new ChoiceTrie(choices, { endTokenIds: [12] });
          const instance = sampler(input, { constraint: new ChoiceConstraint(trie) });
          const generated: number[] = [];
          let completed: number | undefined;
          // Each step gets fresh logits: the constraint, not the model, must keep the output valid.
          for (let step = 0; step < 5 && completed === undefined; step++) {
            const logits = Float32Array.from(values, (value, index) => value + ((step * 7 + index * 3) % 5));
            const result = instance.next(logits, generated);
            generated.push(result.tokenId);
            completed = result.completedChoice;
          }
          expect(completed).toBeDefined();
          const choice = choices[completed as number] as number[];
          const body = generated[generated.length - 1] === 12 ? generated.slice(0, -1) : generated;
          expect(body).toEqual(choice);
        },
      ),
      { numRuns: 300 },
    );
  });
});
