// One generated choice of a request while the engine runs it: sampling, incremental text, stop
// conditions and the events it emits. The engine loop owns the scheduling; this owns the output.
import type { ChatTokenizer } from '../tokenizer/chat-tokenizer.js';
import type { TextOutputStream } from '../tokenizer/text-output-stream.js';
import type { Sampler } from '../sampling/sampler.js';
import type { PositionLogprobs } from '../sampling/logprobs.js';
import { scoreSingleTokenChoices } from '../sampling/choice-scoring.js';
import type { FinishReason, GenerationEvent, TokenLogprob } from './engine-api.js';
import type { PreparedPrompt } from './prompt-preparation.js';
import type { GrammarConstraint } from '../structured-output/grammar-constraint.js';

export interface SequenceLimits {
  maxNewTokens: number;
  stopTokenIds: ReadonlySet<number>;
  /** Strings of a constrained choice, and their single-token ids when every choice is one token. */
  choices?: { strings: string[]; singleTokenIds: number[] | undefined };
  /** The sequence's grammar (also the sampler's constraint): its end ends the sequence. */
  grammar?: GrammarConstraint;
}

export class ActiveSequence {
  readonly generated: number[] = [];
  finishReason: FinishReason | undefined;
  private choiceProbabilities: Record<string, number> | undefined;

  constructor(
    readonly id: number,
    readonly choice: number,
    readonly prompt: PreparedPrompt,
    private readonly sampler: Sampler,
    private readonly output: TextOutputStream,
    private readonly tokenizer: ChatTokenizer,
    private readonly limits: SequenceLimits,
    private readonly emit: (event: GenerationEvent) => void,
  ) {}

  get lastToken(): number {
    return this.generated[this.generated.length - 1]!;
  }

  /** Position of the next token to feed (prompt plus generated so far, minus the one being fed). */
  get nextPosition(): number {
    return this.prompt.tokenIds.length + this.generated.length - 1;
  }

  /** Resolves when the sequence can sample (its grammar's next mask has arrived). */
  ready(): Promise<void> | undefined {
    return this.limits.grammar?.ready();
  }

  /** Samples from the logits of the sequence's last position; returns true when the sequence ended. */
  accept(logits: Float32Array): boolean {
    if (this.generated.length === 0 && this.limits.choices?.singleTokenIds !== undefined) {
      const scores = scoreSingleTokenChoices(logits, this.limits.choices.singleTokenIds);
      this.choiceProbabilities = Object.fromEntries(
        this.limits.choices.strings.map((text, index) => [text, scores.probabilities[index]!]),
      );
    }
    const sample = this.sampler.next(logits, this.generated);
    this.generated.push(sample.tokenId);
    if (this.limits.stopTokenIds.has(sample.tokenId) && sample.completedChoice === undefined) {
      this.end('stop');
      return true;
    }
    const step = this.output.push(sample.tokenId);
    this.emit({
      type: 'delta',
      choice: this.choice,
      text: step.text,
      tokenIds: [sample.tokenId],
      ...(sample.logprobs === undefined ? {} : { logprobs: [this.describeLogprobs(sample.logprobs)] }),
    });
    if (step.stopString !== undefined || sample.completedChoice !== undefined || this.limits.grammar?.finished) {
      this.end('stop', step.stopString === undefined);
      return true;
    }
    if (this.generated.length >= this.limits.maxNewTokens) {
      this.end('length');
      return true;
    }
    return false;
  }

  /** Frees the grammar matcher of a sequence that will never run (a failed request). */
  releaseConstraint(): void {
    this.limits.grammar?.release();
  }

  /** Ends the sequence, flushing text held back for stop-string matching. */
  end(reason: FinishReason, flush = true): void {
    if (this.finishReason !== undefined) return;
    this.finishReason = reason;
    this.limits.grammar?.release();
    if (flush && reason !== 'abort') {
      const tail = this.output.finish();
      if (tail !== '') this.emit({ type: 'delta', choice: this.choice, text: tail, tokenIds: [] });
    }
    this.emit({
      type: 'finish',
      choice: this.choice,
      reason,
      ...(this.choiceProbabilities === undefined ? {} : { choiceProbabilities: this.choiceProbabilities }),
    });
  }

  private describeLogprobs(position: PositionLogprobs): TokenLogprob {
    const describe = (tokenId: number) => {
      const bytes = this.tokenizer.tokenBytes(tokenId) ?? new Uint8Array(0);
      return { tokenId, token: Buffer.from(bytes).toString('utf8'), bytes: Array.from(bytes) };
    };
    return {
      ...describe(position.tokenId),
      logprob: position.logprob,
      top: position.top.map((entry) => ({ ...describe(entry.tokenId), logprob: entry.logprob })),
    };
  }
}
