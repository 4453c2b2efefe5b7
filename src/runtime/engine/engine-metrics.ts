import type { EngineStats, FinishReason, GenerationEvent, LatencySamples } from './engine-api.js';
import type { PrefixCache } from './prefix-cache.js';
import type { ActiveRequest } from './request-registry.js';
import type { Scheduler } from './scheduler.js';
import type { VisionCache } from './vision-cache.js';

export interface StatsSources {
  scheduler: Scheduler;
  prefixCache: PrefixCache;
  visionCache: VisionCache;
  /** Requests still being prepared (they wait too). */
  preparing: number;
}

/** Counters and latency samples the engine keeps for /metrics. */
export class EngineMetrics {
  promptTokens = 0;
  generatedTokens = 0;
  aborted = 0;
  rejected = 0;
  readonly finished: Record<FinishReason, number> = { stop: 0, length: 0, abort: 0 };
  timeToFirstToken: number[] = [];
  interTokenLatency: number[] = [];
  endToEndLatency: number[] = [];

  counters(): {
    promptTokens: number;
    generatedTokens: number;
    abortedRequests: number;
    rejectedRequests: number;
    finishedRequests: Record<FinishReason, number>;
  } {
    return {
      promptTokens: this.promptTokens,
      generatedTokens: this.generatedTokens,
      abortedRequests: this.aborted,
      rejectedRequests: this.rejected,
      finishedRequests: { ...this.finished },
    };
  }

  stats(sources: StatsSources, kvBytesPerToken: number): EngineStats {
    const { scheduler, prefixCache, visionCache } = sources;
    return {
      running: scheduler.runningCount,
      waiting: scheduler.waitingCount + sources.preparing,
      kvBytesUsed: scheduler.reservedKvTokens * kvBytesPerToken,
      kvBytesBudget: scheduler.limits.kvTokenBudget * kvBytesPerToken,
      prefixCacheQueries: prefixCache.stats.queries,
      prefixCacheHits: prefixCache.stats.hits,
      visionCacheQueries: visionCache.stats.queries,
      visionCacheHits: visionCache.stats.hits,
      ...this.counters(),
    };
  }

  /** Latency and token counts of one event of a request, at `now` (performance.now()). */
  recordEvent(owner: ActiveRequest, event: GenerationEvent, now: number): void {
    if (event.type === 'finish') this.finished[event.reason] += 1;
    if (event.type !== 'delta' || event.tokenIds.length === 0) return;
    if (owner.lastTokenAt === undefined) this.timeToFirstToken.push((now - owner.arrivedAt) / 1000);
    else this.interTokenLatency.push((now - owner.lastTokenAt) / 1000);
    owner.lastTokenAt = now;
    owner.emittedTokens += event.tokenIds.length;
    this.generatedTokens += event.tokenIds.length;
  }

  /** A request's totals once its last sequence finished. */
  recordRequest(owner: ActiveRequest, completionTokens: number, now: number): void {
    // Stop tokens (EOS) end a sequence without a delta event but count in usage's completion tokens.
    this.generatedTokens += completionTokens - owner.emittedTokens;
    this.promptTokens += owner.prompt.tokenIds.length;
    this.endToEndLatency.push((now - owner.arrivedAt) / 1000);
  }

  takeSamples(): LatencySamples {
    const samples = {
      timeToFirstToken: this.timeToFirstToken,
      interTokenLatency: this.interTokenLatency,
      endToEndLatency: this.endToEndLatency,
    };
    this.timeToFirstToken = [];
    this.interTokenLatency = [];
    this.endToEndLatency = [];
    return samples;
  }
}
