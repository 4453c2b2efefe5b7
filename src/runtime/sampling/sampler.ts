// One generated sequence's sampler. The model runner calls `next(logits, generatedSoFar)` once per
// decoding step with that sequence's logits row; nothing here knows about ORT, batching or HTTP.
//
// Step order (vLLM v1 Sampler): choice mask -> logit bias -> repetition penalty -> frequency and
// presence penalties -> greedy argmax when temperature < 1e-5, else temperature -> min_p -> top_k
// -> top_p -> seeded draw.
//
// Reported logprobs: by default ("raw") the log-softmax of the model's logits before any
// processing, which is what vLLM v1 reports by default (`logprobs_mode="raw_logprobs"`). A choice
// constraint's mask counts as part of the model output there, as vLLM applies structured-output
// masks before its sampler. "processed" reports the log-softmax after bias and penalties but before
// temperature and truncation: the distribution the penalties actually produced, independent of how
// it was then sampled.
import {
  applyFrequencyAndPresencePenalties,
  applyLogitBias,
  applyRepetitionPenalty,
  argmax,
  drawCandidate,
  selectCandidates,
} from './logits-processors.js';
import { positionLogprobs, type PositionLogprobs } from './logprobs.js';
import { Xoshiro128StarStar, randomSeed, type RandomSource } from './random.js';
import type { SamplingParams } from './sampling-params.js';
import { ShotvlError } from '../../util/shotvl-error.js';
import type { TokenConstraint } from './token-constraint.js';

export type LogprobsMode = 'raw' | 'processed';

/** vLLM's `_SAMPLING_EPS`: temperatures below it decode greedily. */
export const GREEDY_TEMPERATURE = 1e-5;

export interface SamplerOptions {
  /** Prompt ids (vision pads included): the repetition penalty covers them, as in Hugging Face. */
  promptTokenIds?: readonly number[];
  /** Which of the request's n completions this is: selects an independent random stream. */
  sequenceIndex?: number;
  /** Restricts the output: one of a set of choices, or a grammar. */
  constraint?: TokenConstraint;
  logprobsMode?: LogprobsMode;
  /** Overrides the seeded generator (tests). */
  random?: RandomSource;
}

export interface SampleResult {
  tokenId: number;
  /** Present when the request asked for logprobs. */
  logprobs: PositionLogprobs | undefined;
  /** Set when a choice constraint completed with this token: the sequence should end. */
  completedChoice: number | undefined;
}

export class SamplingError extends ShotvlError<'sampling_failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('sampling_failed', message, options);
  }
}

export class Sampler {
  /** The seed in use (the request's, or a random one), for reproducing the run. */
  readonly seed: number;
  private readonly random: RandomSource;
  private readonly promptTokenIds: readonly number[];
  private readonly generatedCounts = new Map<number, number>();
  private countedLength = 0;
  private readonly constraint: TokenConstraint | undefined;
  private readonly logprobsMode: LogprobsMode;
  /** Greedy decoding with no processing before it: one pass over the raw row (bench/profile-decode). */
  private readonly plainGreedy: boolean;
  private scratch = new Float32Array(0);
  private reference = new Float32Array(0);

  constructor(
    readonly params: SamplingParams,
    options: SamplerOptions = {},
  ) {
    this.seed = params.seed ?? randomSeed();
    this.random = options.random ?? new Xoshiro128StarStar(this.seed, options.sequenceIndex ?? 0);
    // The penalty touches each distinct token once: deduplicate the prompt once, not every step.
    this.promptTokenIds = [...new Set(options.promptTokenIds ?? [])];
    this.constraint = options.constraint;
    this.logprobsMode = options.logprobsMode ?? 'raw';
    this.plainGreedy =
      params.temperature < GREEDY_TEMPERATURE &&
      this.constraint === undefined &&
      !params.logprobs &&
      params.logitBias.size === 0 &&
      params.repetitionPenalty === 1 &&
      params.frequencyPenalty === 0 &&
      params.presencePenalty === 0;
  }

  /**
   * Picks the next token. `logits` is this sequence's last-position row (not modified);
   * `generatedSoFar` the tokens this sampler produced before, append-only between calls.
   */
  next(logits: Float32Array, generatedSoFar: readonly number[]): SampleResult {
    const { params } = this;
    this.countGenerated(generatedSoFar);
    if (this.plainGreedy) return { tokenId: this.greedyOnRaw(logits), logprobs: undefined, completedChoice: undefined };
    const processed = this.scratchFor(logits.length);
    for (let index = 0; index < logits.length; index++) {
      const value = logits[index] as number;
      // A NaN logit must not win argmax or poison sums; treat it as impossible.
      processed[index] = Number.isNaN(value) ? -Infinity : value;
    }
    this.constraint?.maskLogits(processed);
    const wantLogprobs = params.logprobs;
    if (wantLogprobs && this.logprobsMode === 'raw') this.referenceFor(processed);

    applyLogitBias(processed, params.logitBias);
    applyRepetitionPenalty(processed, params.repetitionPenalty, this.penalisedTokens());
    applyFrequencyAndPresencePenalties(
      processed,
      this.generatedCounts,
      params.frequencyPenalty,
      params.presencePenalty,
    );
    if (wantLogprobs && this.logprobsMode === 'processed') this.referenceFor(processed);

    const tokenId = this.choose(processed);
    const logprobs = wantLogprobs ? positionLogprobs(this.reference, tokenId, params.topLogprobs) : undefined;
    const completedChoice = this.constraint?.advance(tokenId);
    return { tokenId, logprobs, completedChoice };
  }

  /**
   * Greedy with nothing to apply first (no constraint, bias, penalty or logprobs): argmax of the
   * raw row, without the scrubbed copy. Same token as the full path: argmax's `>` never picks a
   * NaN, exactly as the copy's NaN -> -inf does not.
   */
  private greedyOnRaw(logits: Float32Array): number {
    const best = argmax(logits);
    if (best < 0) throw new SamplingError('no token can be sampled: every logit is -inf');
    return best;
  }

  private choose(processed: Float32Array): number {
    const { temperature, minP, topK, topP } = this.params;
    if (temperature < GREEDY_TEMPERATURE) {
      const best = argmax(processed);
      if (best < 0) throw new SamplingError('no token can be sampled: every logit is -inf');
      return best;
    }
    let candidates;
    try {
      candidates = selectCandidates(processed, { temperature, minP, topK, topP });
    } catch (error) {
      throw new SamplingError(`no token can be sampled: ${(error as Error).message}`);
    }
    return drawCandidate(candidates, this.random.nextFloat());
  }

  private *penalisedTokens(): Iterable<number> {
    yield* this.promptTokenIds;
    yield* this.generatedCounts.keys();
  }

  private countGenerated(generated: readonly number[]): void {
    // Normally one new token per call; recount from scratch if the caller rewound the sequence.
    if (generated.length < this.countedLength) {
      this.generatedCounts.clear();
      this.countedLength = 0;
    }
    for (let index = this.countedLength; index < generated.length; index++) {
      const tokenId = generated[index] as number;
      this.generatedCounts.set(tokenId, (this.generatedCounts.get(tokenId) ?? 0) + 1);
    }
    this.countedLength = generated.length;
  }

  private scratchFor(length: number): Float32Array {
    if (this.scratch.length !== length) this.scratch = new Float32Array(length);
    return this.scratch;
  }

  private referenceFor(values: Float32Array): void {
    if (this.reference.length !== values.length) this.reference = new Float32Array(values.length);
    this.reference.set(values);
  }
}
