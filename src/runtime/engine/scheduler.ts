// The scheduler: a pure state machine (no I/O, no timers) that decides, each step, which
// sequences decode and which prompt chunks prefill. Invariants:
// - Each scheduling step is one round of model work: every running decode advances by one token,
//   and prompt chunks fill the remaining token budget.
// - Decodes are never starved by prefill: they are scheduled first, and long prompts are
//   prefilled in chunks of at most `prefillChunkTokens`.
// - Admission is FIFO. A waiting sequence is only passed over while another member of its prefix
//   group is computing the group's shared prefix (it will reuse it), never for being large: if the head
//   of the queue does not fit the KV budget, nothing behind it is admitted either.
// - KV memory is reserved at admission for the whole sequence (prompt + max new tokens), so an
//   admitted sequence never runs out of cache and nothing is ever preempted.
import { ShotvlError } from '../../util/shotvl-error.js';

export interface SchedulerLimits {
  /** Sequences decoding or prefilling at once (the decode batch size). */
  maxRunningSequences: number;
  /** Tokens fed to the model per step: decodes count one each, prefill chunks their length. */
  maxTokensPerStep: number;
  /** Largest prefill chunk of one sequence in one step. */
  prefillChunkTokens: number;
  /** KV cache capacity in tokens, shared by all admitted sequences. */
  kvTokenBudget: number;
  /** Bounded waiting queue: sequences... */
  maxWaitingSequences: number;
  /** ...and their prompt tokens. */
  maxWaitingTokens: number;
}

export interface SequenceSpec {
  id: number;
  promptLength: number;
  maxNewTokens: number;
  /** Sequences sharing a prompt prefix: while one of them prefills, the others wait to reuse it. */
  prefixGroup?: string;
  /**
   * Prompt tokens the group shares. A member whose cached prefix covers them reuses the group's
   * prefix and does not hold the group; absent = every member prefilling holds it.
   */
  prefixGroupLength?: number;
  /** Chained hashes of the prompt's full blocks (prefix-cache.ts), to find its cached prefix. */
  blockHashes?: readonly string[];
}

/** The prefix cache as admission sees it (prefix-cache.ts). */
export interface PrefixIndex {
  /** Longest cached prefix of the sequence's prompt (pure: a map lookup). */
  longestPrefix(spec: SequenceSpec): PrefixMatch | undefined;
  /** Counts one admission's lookup and how many prompt tokens it reused. */
  record(reusedTokens: number): void;
}

const NO_PREFIXES: PrefixIndex = { longestPrefix: () => undefined, record: () => undefined };

export interface PrefixMatch {
  prefixId: number;
  /** Cached prompt tokens to restore instead of prefilling them. */
  length: number;
}

export interface PrefillChunk {
  sequenceId: number;
  start: number;
  length: number;
  /** The chunk ends the prompt: its logits give the first generated token. */
  last: boolean;
}

export interface StepPlan {
  /** Prefix restores to apply before the step's forward (newly admitted sequences). */
  restores: { sequenceId: number; prefixId: number; length: number }[];
  prefills: PrefillChunk[];
  decodes: number[];
}

export type SchedulerRejection = 'queue_full' | 'never_fits';

export class SchedulerRejectedError extends ShotvlError<SchedulerRejection> {
  get reason(): SchedulerRejection {
    return this.code;
  }
}

interface Entry {
  spec: SequenceSpec;
  phase: 'waiting' | 'prefill' | 'decode';
  /** Prompt tokens already in the KV cache. */
  processed: number;
  /** Computes its group's shared prefix: later members wait for it (see admit). */
  holdsGroup: boolean;
}

export class Scheduler {
  private readonly waiting: Entry[] = [];
  /** Admitted sequences in admission order. */
  private readonly running = new Map<number, Entry>();
  private reservedTokens = 0;
  private waitingTokens = 0;

  constructor(
    readonly limits: SchedulerLimits,
    /** Admission reuses cached prefixes from here. */
    private readonly prefixes: PrefixIndex = NO_PREFIXES,
  ) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`scheduler limit ${name} must be a positive integer, got ${value}`);
    }
    // Fix (issue 4 review): with fewer step tokens than running sequences, the decodes admitted
    // last and every prefill were skipped until earlier sequences finished, breaking the "decodes
    // every step, prefill always progresses" invariant. vLLM enforces the same bound
    // (max_num_batched_tokens >= max_num_seqs).
    if (limits.maxTokensPerStep < limits.maxRunningSequences) {
      throw new RangeError(
        `scheduler limit maxTokensPerStep (${limits.maxTokensPerStep}) must be at least maxRunningSequences (${limits.maxRunningSequences})`,
      );
    }
  }

  get runningCount(): number {
    return this.running.size;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get reservedKvTokens(): number {
    return this.reservedTokens;
  }

  get hasWork(): boolean {
    return this.running.size > 0 || this.waiting.length > 0;
  }

  /** Queues a sequence; throws SchedulerRejectedError when it can never run or the queue is full. */
  add(spec: SequenceSpec): void {
    if (spec.promptLength < 1 || spec.maxNewTokens < 1)
      throw new RangeError(`sequence ${spec.id}: prompt and max new tokens must be positive`);
    const needed = spec.promptLength + spec.maxNewTokens;
    if (needed > this.limits.kvTokenBudget) {
      throw new SchedulerRejectedError(
        'never_fits',
        `the request needs ${needed} tokens of KV cache but the budget holds ${this.limits.kvTokenBudget}`,
      );
    }
    if (
      this.waiting.length >= this.limits.maxWaitingSequences ||
      this.waitingTokens + spec.promptLength > this.limits.maxWaitingTokens
    ) {
      throw new SchedulerRejectedError('queue_full', 'the waiting queue is full');
    }
    this.waiting.push({ spec, phase: 'waiting', processed: 0, holdsGroup: false });
    this.waitingTokens += spec.promptLength;
  }

  /** Whether `add` would accept these sequences now (all or none). */
  canQueue(specs: Pick<SequenceSpec, 'promptLength'>[]): boolean {
    const tokens = specs.reduce((sum, spec) => sum + spec.promptLength, 0);
    return (
      this.waiting.length + specs.length <= this.limits.maxWaitingSequences &&
      this.waitingTokens + tokens <= this.limits.maxWaitingTokens
    );
  }

  /** Removes a sequence wherever it is and frees its reservation. Returns whether it was running. */
  remove(sequenceId: number): boolean {
    const entry = this.running.get(sequenceId);
    if (entry !== undefined) {
      this.running.delete(sequenceId);
      this.reservedTokens -= entry.spec.promptLength + entry.spec.maxNewTokens;
      return true;
    }
    const index = this.waiting.findIndex((waiting) => waiting.spec.id === sequenceId);
    if (index >= 0) {
      this.waitingTokens -= this.waiting[index]!.spec.promptLength;
      this.waiting.splice(index, 1);
    }
    return false;
  }

  schedule(): StepPlan {
    const plan: StepPlan = { restores: [], prefills: [], decodes: [] };
    let budget = this.limits.maxTokensPerStep;
    for (const entry of this.running.values()) {
      if (entry.phase === 'decode' && budget > 0) {
        plan.decodes.push(entry.spec.id);
        budget -= 1;
      }
    }
    for (const entry of this.running.values()) {
      if (entry.phase !== 'prefill' || budget <= 0) continue;
      budget -= this.planPrefill(entry, budget, plan);
    }
    budget = this.admit(budget, plan);
    return plan;
  }

  /** Records a step's work as done: prefill progress and decode advances. */
  completeStep(plan: StepPlan): void {
    for (const chunk of plan.prefills) {
      const entry = this.running.get(chunk.sequenceId);
      if (entry === undefined) continue;
      entry.processed = chunk.start + chunk.length;
      if (entry.processed >= entry.spec.promptLength) entry.phase = 'decode';
    }
  }

  private admit(budget: number, plan: StepPlan): number {
    let remaining = budget;
    const busyGroups = new Set<string>();
    for (const entry of this.running.values())
      if (entry.phase === 'prefill' && entry.holdsGroup) busyGroups.add(entry.spec.prefixGroup!);
    let index = 0;
    while (index < this.waiting.length && remaining > 0 && this.running.size < this.limits.maxRunningSequences) {
      const entry = this.waiting[index]!;
      const group = entry.spec.prefixGroup;
      if (group !== undefined && busyGroups.has(group)) {
        index += 1;
        continue;
      }
      const needed = entry.spec.promptLength + entry.spec.maxNewTokens;
      if (this.reservedTokens + needed > this.limits.kvTokenBudget) break;
      this.waiting.splice(index, 1);
      this.waitingTokens -= entry.spec.promptLength;
      this.reservedTokens += needed;
      entry.phase = 'prefill';
      const match = this.prefixes.longestPrefix(entry.spec);
      // The prompt's last token is always recomputed: its logits give the first generated token.
      const reusable = match === undefined ? 0 : Math.min(match.length, entry.spec.promptLength - 1);
      this.prefixes.record(reusable);
      if (match !== undefined && reusable > 0) {
        plan.restores.push({ sequenceId: entry.spec.id, prefixId: match.prefixId, length: reusable });
        entry.processed = reusable;
      }
      this.running.set(entry.spec.id, entry);
      // Fix (issue 4 review): a member that restored the group's whole shared prefix only prefills
      // its own tail; it used to hold the group too, so followers were admitted one per step
      // (seven questions about one shot took six extra steps). Only a member that computes the
      // shared prefix holds the group now. (Covering is judged on the cached length, not on
      // `reusable`, which is capped one short of a prompt that is all shared prefix.)
      entry.holdsGroup =
        group !== undefined && (match?.length ?? 0) < (entry.spec.prefixGroupLength ?? Number.POSITIVE_INFINITY);
      if (entry.holdsGroup) busyGroups.add(group!);
      remaining -= this.planPrefill(entry, remaining, plan);
    }
    return remaining;
  }

  private planPrefill(entry: Entry, budget: number, plan: StepPlan): number {
    const left = entry.spec.promptLength - entry.processed;
    const length = Math.min(left, this.limits.prefillChunkTokens, budget);
    if (length <= 0) return 0;
    plan.prefills.push({ sequenceId: entry.spec.id, start: entry.processed, length, last: length === left });
    return length;
  }
}
