// Engine statistics as Prometheus metrics under vLLM's names (vllm/v1/metrics/loggers.py), so the
// Grafana dashboards written for vLLM work unchanged. Python's prometheus_client appends `_total`
// to counters; prom-client does not, so counter names carry it here. Labels, as in vLLM:
// model_name (the served name) and engine ("0": this server runs one engine).
//
// The engine keeps cumulative counts and a buffer of latency samples; both are read at scrape time
// (`refresh`), so nothing runs between scrapes.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine, FinishReason } from '../../../runtime/engine/engine-api.js';

const LABELS = ['model_name', 'engine'] as const;

/** vLLM's buckets, copied so percentiles compare across servers. */
const TIME_TO_FIRST_TOKEN_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
];
const INTER_TOKEN_LATENCY_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
];
const REQUEST_LATENCY_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
  7680.0,
];

const FINISH_REASONS: readonly FinishReason[] = ['stop', 'length', 'abort'];

/** A Prometheus counter fed from a cumulative value: adds the increase since the last reading. */
class CumulativeCounter {
  private readonly last = new Map<string, number>();

  constructor(private readonly counter: Counter<string>) {}

  update(labels: Record<string, string>, value: number): void {
    const key = JSON.stringify(labels);
    const previous = this.last.get(key) ?? 0;
    // A smaller value means the engine's counts restarted: everything since then is new.
    this.counter.inc(labels, value >= previous ? value - previous : value);
    this.last.set(key, value);
  }
}

export class EngineMetrics {
  readonly registry = new Registry();
  private readonly labels: Record<string, string>;
  private readonly running: Gauge<string>;
  private readonly waiting: Gauge<string>;
  private readonly kvCacheUsage: Gauge<string>;
  private readonly counters: Record<
    | 'prefixQueries'
    | 'prefixHits'
    | 'mmQueries'
    | 'mmHits'
    | 'promptTokens'
    | 'generationTokens'
    | 'success'
    | 'grammarRestarts',
    CumulativeCounter
  >;
  private readonly timeToFirstToken: Histogram<string>;
  private readonly interTokenLatency: Histogram<string>;
  private readonly endToEndLatency: Histogram<string>;

  constructor(
    private readonly engine: Engine,
    modelName: string,
  ) {
    this.labels = { model_name: modelName, engine: '0' };
    const registers = [this.registry];
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: LABELS, registers });
    const counter = (name: string, help: string, extra: string[] = []) =>
      new CumulativeCounter(new Counter({ name, help, labelNames: [...LABELS, ...extra], registers }));
    const histogram = (name: string, help: string, buckets: number[]) =>
      new Histogram({ name, help, buckets, labelNames: LABELS, registers });

    this.running = gauge('vllm:num_requests_running', 'Number of requests in model execution batches.');
    this.waiting = gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.');
    this.kvCacheUsage = gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.');
    this.counters = {
      prefixQueries: counter(
        'vllm:prefix_cache_queries_total',
        'Prefix cache queries, in terms of number of queried tokens.',
      ),
      prefixHits: counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.'),
      mmQueries: counter(
        'vllm:mm_cache_queries_total',
        'Multi-modal cache queries, in terms of number of queried items.',
      ),
      mmHits: counter('vllm:mm_cache_hits_total', 'Multi-modal cache hits, in terms of number of cached items.'),
      promptTokens: counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.'),
      generationTokens: counter('vllm:generation_tokens_total', 'Number of generation tokens processed.'),
      success: counter('vllm:request_success_total', 'Count of successfully processed requests.', ['finished_reason']),
      // Ours (vLLM has no grammar worker): a rising crash count is worth an alert, timeouts name bad grammars.
      grammarRestarts: counter(
        'shotvl:grammar_worker_restarts_total',
        'Grammar worker replacements, by why the previous worker ended (crash or timeout).',
        ['reason'],
      ),
    };
    this.timeToFirstToken = histogram(
      'vllm:time_to_first_token_seconds',
      'Histogram of time to first token in seconds.',
      TIME_TO_FIRST_TOKEN_BUCKETS,
    );
    this.interTokenLatency = histogram(
      'vllm:inter_token_latency_seconds',
      'Histogram of inter-token latency in seconds.',
      INTER_TOKEN_LATENCY_BUCKETS,
    );
    this.endToEndLatency = histogram(
      'vllm:e2e_request_latency_seconds',
      'Histogram of e2e request latency in seconds.',
      REQUEST_LATENCY_BUCKETS,
    );
    // Present from the first scrape, so rate() and histogram_quantile() have a series to start from.
    for (const metric of [this.timeToFirstToken, this.interTokenLatency, this.endToEndLatency])
      metric.zero(this.labels);
    collectDefaultMetrics({ register: this.registry });
    this.refresh();
  }

  /** Reads the engine's stats and latency samples into the metrics; call before every scrape. */
  refresh(): void {
    const stats = this.engine.stats();
    const labels = this.labels;
    this.running.set(labels, stats.running);
    this.waiting.set(labels, stats.waiting);
    this.kvCacheUsage.set(labels, stats.kvBytesBudget > 0 ? stats.kvBytesUsed / stats.kvBytesBudget : 0);
    this.counters.prefixQueries.update(labels, stats.prefixCacheQueries);
    this.counters.prefixHits.update(labels, stats.prefixCacheHits);
    this.counters.mmQueries.update(labels, stats.visionCacheQueries);
    this.counters.mmHits.update(labels, stats.visionCacheHits);
    this.counters.promptTokens.update(labels, stats.promptTokens);
    this.counters.generationTokens.update(labels, stats.generatedTokens);
    for (const reason of FINISH_REASONS)
      this.counters.success.update({ ...labels, finished_reason: reason }, stats.finishedRequests[reason] ?? 0);
    for (const [reason, count] of Object.entries(stats.grammarWorkerRestarts ?? { crash: 0, timeout: 0 }))
      this.counters.grammarRestarts.update({ ...labels, reason }, count);
    const samples = this.engine.takeLatencySamples();
    for (const seconds of samples.timeToFirstToken) this.timeToFirstToken.observe(labels, seconds);
    for (const seconds of samples.interTokenLatency) this.interTokenLatency.observe(labels, seconds);
    for (const seconds of samples.endToEndLatency) this.endToEndLatency.observe(labels, seconds);
  }

  async exposition(): Promise<{ contentType: string; text: string }> {
    this.refresh();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
