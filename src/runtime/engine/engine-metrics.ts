import type { FinishReason, LatencySamples } from './engine-api.js';

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
