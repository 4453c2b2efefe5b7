// Whether the engine takes a request now, and the queueing of one it took: the engine's state, the
// bound on requests waiting (prepared or queued), and the scheduler's own refusals, each as the
// EngineError the API answers with (503 with Retry-After while loading, draining or full; 400 for
// a request that could never fit). A request queued is in the registry and the scheduler, or in
// neither.
import type { EngineState } from './engine-api.js';
import { EngineError, neverFits, overloadedError, shuttingDown } from './engine-errors.js';
import type { EngineLimits } from './engine-limits.js';
import type { EngineMetrics } from './engine-metrics.js';
import type { ActiveRequest, RequestRegistry } from './request-registry.js';
import { SchedulerRejectedError, type Scheduler, type SequenceSpec } from './scheduler.js';

export class AdmissionControl {
  /** Requests between generate()/tokenize() and the queue: preparing their media and prompt. */
  preparing = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly registry: RequestRegistry,
    private readonly limits: Pick<EngineLimits, 'maxWaitingSequences' | 'maxRunningSequences'>,
    private readonly metrics: EngineMetrics,
  ) {}

  /** Requests prepared or queued, not yet running. */
  get waiting(): number {
    return this.preparing + this.scheduler.waitingCount;
  }

  /** Throws the EngineError of an engine that takes no new work now (draining, loading, queue full). */
  checkAccepting(state: EngineState): void {
    if (state === 'draining' || state === 'stopped') throw shuttingDown();
    if (state !== 'ready') throw new EngineError('not_ready', 'the model is not ready', { retryAfterSeconds: 5 });
    if (this.waiting >= this.limits.maxWaitingSequences) throw this.overloaded('too many requests are waiting');
  }

  /**
   * Queues an admitted request's sequences. When the queue is full or the scheduler refuses one,
   * undoes what was done (scheduler, registry, grammar matchers) and throws the client's error.
   */
  enqueue(owner: ActiveRequest, specs: SequenceSpec[]): void {
    try {
      if (!this.scheduler.canQueue(specs)) throw this.overloaded('the waiting queue is full');
      this.registry.add(owner);
      for (const spec of specs) this.scheduler.add(spec);
    } catch (error) {
      for (const spec of specs) this.scheduler.remove(spec.id);
      this.registry.remove(owner);
      for (const sequence of owner.sequences) sequence.releaseConstraint();
      throw this.schedulerError(error);
    }
  }

  private overloaded(why: string): EngineError {
    this.metrics.rejected += 1;
    return overloadedError(why, this.waiting, this.limits.maxRunningSequences);
  }

  private schedulerError(error: unknown): unknown {
    if (!(error instanceof SchedulerRejectedError)) return error;
    if (error.reason === 'queue_full') return this.overloaded('the waiting queue is full');
    this.metrics.rejected += 1;
    return neverFits(error.message);
  }
}
