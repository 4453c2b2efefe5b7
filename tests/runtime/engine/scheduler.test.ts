// The scheduler as a pure state machine: budgets, chunked prefill, FIFO admission, prefix groups,
// removal and rejection, plus a model-based property test over random operation sequences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Scheduler,
  SchedulerRejectedError,
  type PrefixMatch,
  type SchedulerLimits,
  type SequenceSpec,
  type StepPlan,
} from '../../../src/runtime/engine/scheduler.js';

const baseLimits: SchedulerLimits = {
  maxRunningSequences: 4,
  maxTokensPerStep: 32,
  prefillChunkTokens: 8,
  kvTokenBudget: 1_000,
  maxWaitingSequences: 16,
  maxWaitingTokens: 10_000,
};

function scheduler(
  limits: Partial<SchedulerLimits> = {},
  probe?: (spec: SequenceSpec) => PrefixMatch | undefined,
): Scheduler {
  return new Scheduler(
    { ...baseLimits, ...limits },
    probe === undefined ? undefined : { longestPrefix: probe, record: () => undefined },
  );
}

function spec(
  id: number,
  promptLength: number,
  maxNewTokens = 4,
  prefixGroup?: string,
  prefixGroupLength?: number,
): SequenceSpec {
  return {
    id,
    promptLength,
    maxNewTokens,
    ...(prefixGroup === undefined ? {} : { prefixGroup }),
    ...(prefixGroupLength === undefined ? {} : { prefixGroupLength }),
  };
}

/** schedule() then completeStep(), as the engine does after a successful forward. */
function step(target: Scheduler): StepPlan {
  const plan = target.schedule();
  target.completeStep(plan);
  return plan;
}

function rejection(action: () => void): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof SchedulerRejectedError) return error.reason;
    throw error;
  }
}

const stepTokens = (plan: StepPlan) =>
  plan.decodes.length + plan.prefills.reduce((sum, chunk) => sum + chunk.length, 0);
const prefillIds = (plan: StepPlan) => plan.prefills.map((chunk) => chunk.sequenceId);

describe('Scheduler limits', () => {
  it('rejects non-positive limits and fewer step tokens than running sequences', () => {
    expect(() => scheduler({ prefillChunkTokens: 0 })).toThrow(RangeError);
    expect(() => scheduler({ kvTokenBudget: 1.5 })).toThrow(RangeError);
    expect(() => scheduler({ maxRunningSequences: 8, maxTokensPerStep: 4 })).toThrow(/maxTokensPerStep/);
  });

  it('rejects a sequence that can never fit the KV budget, whatever is running', () => {
    const target = scheduler({ kvTokenBudget: 100 });
    expect(rejection(() => target.add(spec(1, 90, 11)))).toBe('never_fits');
    expect(rejection(() => target.add(spec(2, 90, 10)))).toBeUndefined();
    expect(() => target.add(spec(3, 0, 4))).toThrow(RangeError);
  });

  it('rejects with queue_full past the waiting sequences or the waiting tokens, and canQueue agrees', () => {
    const bySequences = scheduler({ maxWaitingSequences: 2 });
    bySequences.add(spec(1, 10));
    expect(bySequences.canQueue([{ promptLength: 1 }, { promptLength: 1 }])).toBe(false);
    bySequences.add(spec(2, 10));
    expect(bySequences.canQueue([{ promptLength: 1 }])).toBe(false);
    expect(rejection(() => bySequences.add(spec(3, 10)))).toBe('queue_full');

    const byTokens = scheduler({ maxWaitingTokens: 50 });
    byTokens.add(spec(1, 30));
    expect(byTokens.canQueue([{ promptLength: 21 }])).toBe(false);
    expect(byTokens.canQueue([{ promptLength: 20 }])).toBe(true);
    expect(rejection(() => byTokens.add(spec(2, 21)))).toBe('queue_full');
    byTokens.add(spec(3, 20));
    expect(byTokens.waitingCount).toBe(2);
  });

  it('admitting frees queue room: the bound is on waiting, not running, sequences', () => {
    const target = scheduler({ maxWaitingSequences: 1, maxWaitingTokens: 10 });
    target.add(spec(1, 10));
    step(target);
    expect(target.waitingCount).toBe(0);
    target.add(spec(2, 10));
    expect(target.waitingCount).toBe(1);
  });
});

describe('Scheduler budgets and chunked prefill', () => {
  it('splits a long prompt into chunks of prefillChunkTokens, the last one flagged', () => {
    const target = scheduler({ prefillChunkTokens: 8, maxTokensPerStep: 100 });
    target.add(spec(1, 20));
    const chunks = [step(target), step(target), step(target)].map((plan) => plan.prefills);
    expect(chunks).toEqual([
      [{ sequenceId: 1, start: 0, length: 8, last: false }],
      [{ sequenceId: 1, start: 8, length: 8, last: false }],
      [{ sequenceId: 1, start: 16, length: 4, last: true }],
    ]);
    expect(step(target)).toEqual({ restores: [], prefills: [], decodes: [1] });
  });

  it('never feeds more than maxTokensPerStep tokens; decodes take their share first', () => {
    const target = scheduler({ maxRunningSequences: 4, maxTokensPerStep: 10, prefillChunkTokens: 8 });
    for (const id of [1, 2, 3]) target.add(spec(id, 1, 50));
    expect(prefillIds(step(target))).toEqual([1, 2, 3]);
    target.add(spec(4, 40));
    for (let round = 0; round < 4; round += 1) {
      const plan = step(target);
      expect(plan.decodes).toEqual([1, 2, 3]);
      expect(plan.prefills).toEqual([{ sequenceId: 4, start: round * 7, length: 7, last: false }]);
      expect(stepTokens(plan)).toBe(10);
    }
  });

  it('keeps every running decode in every step while a long prompt is prefilled, and the prefill finishes', () => {
    const target = scheduler({ maxRunningSequences: 3, maxTokensPerStep: 6, prefillChunkTokens: 4 });
    target.add(spec(1, 2, 100));
    target.add(spec(2, 3, 100));
    step(target);
    target.add(spec(3, 500, 10));
    let steps = 0;
    let last = false;
    while (!last) {
      const plan = step(target);
      expect(plan.decodes).toEqual([1, 2]);
      expect(plan.prefills).toHaveLength(1);
      last = plan.prefills[0]!.last;
      steps += 1;
    }
    expect(steps).toBe(125);
    expect(step(target).decodes).toEqual([1, 2, 3]);
  });

  it('caps running sequences and admits the next one as soon as a slot frees', () => {
    const target = scheduler({ maxRunningSequences: 2 });
    for (const id of [1, 2, 3]) target.add(spec(id, 4));
    expect(prefillIds(step(target))).toEqual([1, 2]);
    expect(target.runningCount).toBe(2);
    expect(target.waitingCount).toBe(1);
    expect(target.remove(1)).toBe(true);
    const plan = step(target);
    expect(plan.decodes).toEqual([2]);
    expect(prefillIds(plan)).toEqual([3]);
  });

  it('reserves prompt + max new tokens per admitted sequence and never more than the KV budget', () => {
    const target = scheduler({ kvTokenBudget: 100 });
    target.add(spec(1, 30, 20));
    target.add(spec(2, 30, 20));
    target.add(spec(3, 10, 10));
    step(target);
    expect(target.reservedKvTokens).toBe(100);
    expect(target.runningCount).toBe(2);
    expect(target.waitingCount).toBe(1);
  });
});

describe('Scheduler FIFO admission', () => {
  it('admits in arrival order', () => {
    const target = scheduler({ maxRunningSequences: 2, maxTokensPerStep: 4, prefillChunkTokens: 4 });
    for (const id of [5, 3, 9]) target.add(spec(id, 2));
    expect(prefillIds(step(target))).toEqual([5, 3]);
    target.remove(5);
    target.remove(3);
    expect(prefillIds(step(target))).toEqual([9]);
  });

  it('a head that does not fit the KV budget blocks later, smaller sequences', () => {
    const target = scheduler({ kvTokenBudget: 100 });
    target.add(spec(1, 50, 10));
    step(target);
    target.add(spec(2, 60, 10));
    target.add(spec(3, 5, 5));
    for (let round = 0; round < 3; round += 1) {
      expect(prefillIds(step(target))).toEqual([1]);
      expect(target.waitingCount).toBe(2);
    }
    target.remove(1);
    const plan = step(target);
    expect(prefillIds(plan)).toEqual([2, 3]);
    expect(target.reservedKvTokens).toBe(80);
  });

  it('holds prefix-group followers while their leader prefills, lets others pass, then restores the prefix', () => {
    const cached = new Map<string, number>();
    const probe = (candidate: SequenceSpec) =>
      candidate.prefixGroup === undefined
        ? undefined
        : cached.has(candidate.prefixGroup)
          ? { prefixId: 7, length: cached.get(candidate.prefixGroup)! }
          : undefined;
    const target = scheduler({ maxTokensPerStep: 16, prefillChunkTokens: 8 }, probe);
    target.add(spec(1, 20, 4, 'shot', 16));
    target.add(spec(2, 20, 4, 'shot', 16));
    target.add(spec(3, 4, 4));
    target.add(spec(4, 22, 4, 'shot', 16));

    let plan = step(target);
    expect(prefillIds(plan)).toEqual([1, 3]);
    expect(plan.prefills[0]).toEqual({ sequenceId: 1, start: 0, length: 8, last: false });
    expect(plan.restores).toEqual([]);
    plan = step(target);
    expect(plan.decodes).toEqual([3]);
    expect(prefillIds(plan)).toEqual([1]);
    expect(target.waitingCount).toBe(2);
    plan = step(target);
    expect(plan.prefills).toEqual([{ sequenceId: 1, start: 16, length: 4, last: true }]);
    // The engine saves the leader's prefix once its prompt is in the cache.
    cached.set('shot', 16);

    // Both followers restore the shared prefix in the same step: neither computes it, so neither
    // holds the group.
    plan = step(target);
    expect(plan.decodes).toEqual([1, 3]);
    expect(plan.restores).toEqual([
      { sequenceId: 2, prefixId: 7, length: 16 },
      { sequenceId: 4, prefixId: 7, length: 16 },
    ]);
    expect(plan.prefills).toEqual([
      { sequenceId: 2, start: 16, length: 4, last: true },
      { sequenceId: 4, start: 16, length: 6, last: true },
    ]);
  });

  it('a follower whose cached prefix stops short of the shared part computes it and holds the group', () => {
    // Only the system prompt (16 tokens) is cached; the group shares 48 (system prompt + media).
    const target = scheduler({ maxTokensPerStep: 64, prefillChunkTokens: 64 }, () => ({ prefixId: 1, length: 16 }));
    target.add(spec(1, 60, 4, 'shot', 48));
    target.add(spec(2, 60, 4, 'shot', 48));
    const plan = step(target);
    expect(plan.restores).toEqual([{ sequenceId: 1, prefixId: 1, length: 16 }]);
    expect(prefillIds(plan)).toEqual([1]);
    expect(target.waitingCount).toBe(1);
  });

  it('a follower admitted without a cached prefix becomes the next leader', () => {
    const target = scheduler({ maxTokensPerStep: 40, prefillChunkTokens: 8 });
    target.add(spec(1, 16, 4, 'g'));
    target.add(spec(2, 16, 4, 'g'));
    target.add(spec(3, 16, 4, 'g'));
    expect(prefillIds(step(target))).toEqual([1]);
    expect(prefillIds(step(target))).toEqual([1]);
    expect(prefillIds(step(target))).toEqual([2]);
    expect(target.waitingCount).toBe(1);
  });

  it('never restores the whole prompt: its last token is recomputed for the first logits', () => {
    const target = scheduler({}, () => ({ prefixId: 3, length: 32 }));
    target.add(spec(1, 32, 4, 'g'));
    const plan = step(target);
    expect(plan.restores).toEqual([{ sequenceId: 1, prefixId: 3, length: 31 }]);
    expect(plan.prefills).toEqual([{ sequenceId: 1, start: 31, length: 1, last: true }]);
  });
});

describe('Scheduler removal', () => {
  it('removing running and waiting sequences returns every reservation', () => {
    const target = scheduler({ maxRunningSequences: 2, maxWaitingTokens: 100 });
    target.add(spec(1, 40, 10));
    target.add(spec(2, 10, 10));
    target.add(spec(3, 30, 10));
    step(target);
    expect(target.reservedKvTokens).toBe(70);
    expect(target.remove(3)).toBe(false);
    expect(target.remove(1)).toBe(true);
    expect(target.remove(2)).toBe(true);
    expect(target.remove(2)).toBe(false);
    expect(target.reservedKvTokens).toBe(0);
    expect(target.runningCount + target.waitingCount).toBe(0);
    expect(target.hasWork).toBe(false);
    expect(target.canQueue([{ promptLength: 100 }])).toBe(true);
    expect(step(target)).toEqual({ restores: [], prefills: [], decodes: [] });
  });

  it('a sequence removed mid-prefill or mid-decode leaves no trace in the next step', () => {
    const target = scheduler({ prefillChunkTokens: 4 });
    target.add(spec(1, 2, 10));
    target.add(spec(2, 20, 10));
    step(target);
    const inFlight = target.schedule();
    expect(inFlight.decodes).toEqual([1]);
    expect(prefillIds(inFlight)).toEqual([2]);
    // Both leave while the step runs (early stop, abort): completing it must not resurrect them.
    target.remove(1);
    target.remove(2);
    target.completeStep(inFlight);
    expect(target.schedule()).toEqual({ restores: [], prefills: [], decodes: [] });
    expect(target.reservedKvTokens).toBe(0);
  });
});

// ---- Model-based property test -------------------------------------------------------------

type Operation =
  | { kind: 'add'; promptLength: number; maxNewTokens: number; group: string | undefined }
  | { kind: 'remove'; pick: number }
  | { kind: 'finish'; pick: number }
  | { kind: 'step' };

interface ModelEntry {
  spec: SequenceSpec;
  phase: 'prefill' | 'decode';
  processed: number;
  decoded: number;
  holdsGroup: boolean;
}

/** A reference of what the scheduler holds, updated from the plans it returns and checked against them. */
class SchedulerModel {
  readonly waiting: SequenceSpec[] = [];
  readonly running = new Map<number, ModelEntry>();
  /** Prefix groups whose prompt some member has fully prefilled: the engine has saved that prefix. */
  readonly cachedGroups = new Map<string, number>();
  nextId = 1;

  constructor(readonly limits: SchedulerLimits) {}

  readonly probe = (candidate: SequenceSpec): PrefixMatch | undefined => {
    const length = candidate.prefixGroup === undefined ? undefined : this.cachedGroups.get(candidate.prefixGroup);
    return length === undefined ? undefined : { prefixId: 1, length };
  };

  add(target: Scheduler, operation: Extract<Operation, { kind: 'add' }>): void {
    // Group 'a' declares its shared length (16 tokens), group 'b' does not (every member holds it).
    const group =
      operation.group === undefined
        ? {}
        : operation.group === 'a'
          ? { prefixGroup: 'a', prefixGroupLength: 16 }
          : { prefixGroup: operation.group };
    const candidate: SequenceSpec = {
      id: this.nextId++,
      promptLength: operation.promptLength,
      maxNewTokens: operation.maxNewTokens,
      ...group,
    };
    const waitingTokens = this.waiting.reduce((sum, item) => sum + item.promptLength, 0);
    const expected =
      candidate.promptLength + candidate.maxNewTokens > this.limits.kvTokenBudget
        ? 'never_fits'
        : this.waiting.length >= this.limits.maxWaitingSequences ||
            waitingTokens + candidate.promptLength > this.limits.maxWaitingTokens
          ? 'queue_full'
          : undefined;
    expect(target.canQueue([candidate])).toBe(
      this.waiting.length < this.limits.maxWaitingSequences &&
        waitingTokens + candidate.promptLength <= this.limits.maxWaitingTokens,
    );
    expect(rejection(() => target.add(candidate))).toBe(expected);
    if (expected === undefined) this.waiting.push(candidate);
  }

  remove(target: Scheduler, id: number): void {
    expect(target.remove(id)).toBe(this.running.has(id));
    this.running.delete(id);
    const index = this.waiting.findIndex((item) => item.id === id);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /** Runs one step and checks the plan against every invariant the scheduler promises. */
  step(target: Scheduler): StepPlan {
    const plan = target.schedule();
    const limits = this.limits;
    // Budget: tokens fed this step.
    expect(stepTokens(plan)).toBeLessThanOrEqual(limits.maxTokensPerStep);
    // No starvation of decodes: every decoding sequence advances, in admission order.
    expect(plan.decodes).toEqual(
      [...this.running.values()].filter((entry) => entry.phase === 'decode').map((entry) => entry.spec.id),
    );
    const ids = prefillIds(plan);
    expect(new Set(ids).size).toBe(ids.length);
    // Newly admitted sequences come from the queue, in queue order; FIFO except for busy prefix groups.
    const admitted = ids.filter((id) => !this.running.has(id));
    const busy = new Set(
      [...this.running.values()]
        .filter((entry) => entry.phase === 'prefill' && entry.holdsGroup)
        .map((entry) => entry.spec.prefixGroup!),
    );
    let cursor = 0;
    for (const id of admitted) {
      const index = this.waiting.findIndex((item) => item.id === id);
      expect(index).toBeGreaterThanOrEqual(cursor);
      for (const skipped of this.waiting.slice(cursor, index))
        expect(skipped.prefixGroup !== undefined && busy.has(skipped.prefixGroup)).toBe(true);
      const candidate = this.waiting[index]!;
      cursor = index + 1;
      const match = this.probe(candidate);
      const reusable = match === undefined ? 0 : Math.min(match.length, candidate.promptLength - 1);
      const holdsGroup =
        candidate.prefixGroup !== undefined && (match?.length ?? 0) < (candidate.prefixGroupLength ?? Infinity);
      if (holdsGroup) busy.add(candidate.prefixGroup!);
      this.running.set(id, { spec: candidate, phase: 'prefill', processed: reusable, decoded: 0, holdsGroup });
      const restore = plan.restores.find((item) => item.sequenceId === id);
      expect(restore).toEqual(reusable > 0 ? { sequenceId: id, prefixId: 1, length: reusable } : undefined);
    }
    expect(plan.restores.every((item) => admitted.includes(item.sequenceId))).toBe(true);
    const remainingWaiting = this.waiting.filter((item) => !admitted.includes(item.id));
    this.waiting.splice(0, this.waiting.length, ...remainingWaiting);
    // Admission is work-conserving: it stops only at the running cap, the token budget, or a head that does not fit the KV budget.
    const reserved = [...this.running.values()].reduce(
      (sum, entry) => sum + entry.spec.promptLength + entry.spec.maxNewTokens,
      0,
    );
    const nextCandidate = this.waiting.find((item) => item.prefixGroup === undefined || !busy.has(item.prefixGroup));
    if (
      nextCandidate !== undefined &&
      this.running.size < limits.maxRunningSequences &&
      stepTokens(plan) < limits.maxTokensPerStep
    ) {
      expect(reserved + nextCandidate.promptLength + nextCandidate.maxNewTokens).toBeGreaterThan(limits.kvTokenBudget);
    }
    // Memory: reservations match the admitted sequences and stay within the budget.
    expect(target.reservedKvTokens).toBe(reserved);
    expect(reserved).toBeLessThanOrEqual(limits.kvTokenBudget);
    expect(target.runningCount).toBe(this.running.size);
    expect(this.running.size).toBeLessThanOrEqual(limits.maxRunningSequences);
    expect(target.waitingCount).toBe(this.waiting.length);
    // Prefill chunks continue exactly where the cache ends.
    for (const chunk of plan.prefills) {
      const entry = this.running.get(chunk.sequenceId)!;
      expect(entry.phase).toBe('prefill');
      expect(chunk.start).toBe(entry.processed);
      expect(chunk.length).toBeGreaterThanOrEqual(1);
      expect(chunk.length).toBeLessThanOrEqual(limits.prefillChunkTokens);
      expect(chunk.last).toBe(chunk.start + chunk.length === entry.spec.promptLength);
    }
    // Progress: when a sequence is prefilling, at least one prefill chunk runs.
    if ([...this.running.values()].some((entry) => entry.phase === 'prefill'))
      expect(plan.prefills.length).toBeGreaterThan(0);

    target.completeStep(plan);
    for (const id of plan.decodes) this.running.get(id)!.decoded += 1;
    for (const chunk of plan.prefills) {
      const entry = this.running.get(chunk.sequenceId)!;
      entry.processed = chunk.start + chunk.length;
      if (chunk.last) {
        entry.phase = 'decode';
        // The engine saves the prompt's whole blocks (16 tokens) as a prefix.
        const blocks = Math.floor(entry.spec.promptLength / 16) * 16;
        if (entry.spec.prefixGroup !== undefined && blocks > 0) this.cachedGroups.set(entry.spec.prefixGroup, blocks);
      }
    }
    return plan;
  }
}

const limitsArbitrary = fc
  .record({
    maxRunningSequences: fc.integer({ min: 1, max: 6 }),
    extraStepTokens: fc.integer({ min: 0, max: 40 }),
    prefillChunkTokens: fc.integer({ min: 1, max: 32 }),
    kvTokenBudget: fc.integer({ min: 20, max: 200 }),
    maxWaitingSequences: fc.integer({ min: 1, max: 8 }),
    maxWaitingTokens: fc.integer({ min: 10, max: 300 }),
  })
  .map(({ extraStepTokens, ...rest }): SchedulerLimits => ({
    ...rest,
    maxTokensPerStep: rest.maxRunningSequences + extraStepTokens,
  }));

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      promptLength: fc.integer({ min: 1, max: 80 }),
      maxNewTokens: fc.integer({ min: 1, max: 30 }),
      group: fc.constantFrom(undefined, 'a', 'b'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat() }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'step' as const }) },
);

describe('Scheduler properties', () => {
  it('keeps every invariant over random add/remove/schedule/complete sequences, then drains', () => {
    fc.assert(
      fc.property(limitsArbitrary, fc.array(operationArbitrary, { maxLength: 120 }), (limits, operations) => {
        const model = new SchedulerModel(limits);
        const target = new Scheduler(limits, { longestPrefix: model.probe, record: () => undefined });
        for (const operation of operations) {
          if (operation.kind === 'add') model.add(target, operation);
          else if (operation.kind === 'step') model.step(target);
          else {
            const pool =
              operation.kind === 'remove'
                ? [...model.waiting.map((item) => item.id), ...model.running.keys()]
                : [...model.running.values()].filter((entry) => entry.phase === 'decode').map((entry) => entry.spec.id);
            if (pool.length > 0) model.remove(target, pool[operation.pick % pool.length]!);
          }
        }
        // Liveness: sequences leave after max new tokens decodes; everything admitted finishes its
        // prefill and everything queued is eventually admitted.
        const bound = 10 * (model.waiting.length + model.running.size) * (80 + 30) + 10;
        let steps = 0;
        while (target.hasWork) {
          model.step(target);
          for (const entry of [...model.running.values()])
            if (entry.decoded >= entry.spec.maxNewTokens) model.remove(target, entry.spec.id);
          steps += 1;
          expect(steps).toBeLessThan(bound);
        }
        expect(target.reservedKvTokens).toBe(0);
        expect(target.waitingCount).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
