// GET /metrics: vLLM's metric names, fed from engine stats and latency samples at scrape time.
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../test-app.js';

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  it("exposes vLLM's names with model_name labels, plus process metrics", async () => {
    const { app } = createTestApp({ argv: ['--api-key', 'k', '--served-model-name', 'shotvl'] });
    const auth = { authorization: 'Bearer k' };
    for (const reason of ['stop', 'length']) {
      const payload = { messages: [{ role: 'user', content: 'x' }], ...(reason === 'length' ? { max_tokens: 2 } : {}) };
      expect(
        (await app.inject({ method: 'POST', url: '/v1/chat/completions', headers: auth, payload })).statusCode,
      ).toBe(200);
    }
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = response.body;
    for (const name of [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:kv_cache_usage_perc',
      'vllm:prefix_cache_queries_total',
      'vllm:prefix_cache_hits_total',
      'vllm:mm_cache_queries_total',
      'vllm:mm_cache_hits_total',
      'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total',
      'vllm:request_success_total',
      'vllm:time_to_first_token_seconds_bucket',
      'vllm:inter_token_latency_seconds_bucket',
      'vllm:e2e_request_latency_seconds_bucket',
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name}\\{[^}]*model_name="shotvl"`, 'm'));
    }
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(sample(text, 'vllm:request_success_total', 'finished_reason="stop"')).toBe(1);
    expect(sample(text, 'vllm:request_success_total', 'finished_reason="length"')).toBe(1);
    expect(sample(text, 'vllm:generation_tokens_total')).toBe(9);
    expect(sample(text, 'vllm:e2e_request_latency_seconds_count')).toBe(2);
    expect(sample(text, 'vllm:num_requests_running')).toBe(0);

    // Counters add only what is new; histogram samples are taken once.
    const again = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(again, 'vllm:generation_tokens_total')).toBe(9);
    expect(sample(again, 'vllm:e2e_request_latency_seconds_count')).toBe(2);
    await app.close();
  });

  it('gives the load-balancing gauges the type and help text of vLLM v1 (vllm/v1/metrics/loggers.py)', async () => {
    const { app, engine } = createTestApp();
    engine.waitingOverride = 3;
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toContain('# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n');
    expect(text).toContain('# TYPE vllm:num_requests_waiting gauge\n');
    expect(text).toContain('# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.\n');
    expect(text).toContain('# TYPE vllm:kv_cache_usage_perc gauge\n');
    expect(text).toContain('# HELP vllm:num_requests_running Number of requests in model execution batches.\n');
    expect(sample(text, 'vllm:num_requests_waiting')).toBe(3);
    // A fraction in [0, 1], as vLLM reports it (not a percentage despite the name).
    const usage = sample(text, 'vllm:kv_cache_usage_perc');
    expect(usage).toBeGreaterThanOrEqual(0);
    expect(usage).toBeLessThanOrEqual(1);
    await app.close();
  });
});
