import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  parseRetryAfter,
  retryDelayMs,
} from '../../../src/cli/bench/retry-policy.js';

describe('retry policy', () => {
  it('retries rate limits, timeouts and server errors only', () => {
    expect([408, 429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 413, 422, 600].some(isRetryableStatus)).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-07-07T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 07 Jul 2025 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Mon, 06 Jul 2025 00:00:10 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('backs off exponentially with equal jitter, capped', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1000, maxDelayMs: 8000 };
    expect([1, 2, 3, 4, 5].map((retry) => retryDelayMs(retry, undefined, policy, () => 0))).toEqual([
      500, 1000, 2000, 4000, 4000,
    ]);
    expect([1, 2, 3, 4, 5].map((retry) => retryDelayMs(retry, undefined, policy, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 8000,
    ]);
  });

  it('honours Retry-After over backoff, capped, with at most 10% jitter', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxRetryAfterMs: 60_000 };
    expect(retryDelayMs(5, 2000, policy, () => 0)).toBe(2000);
    expect(retryDelayMs(5, 2000, policy, () => 1)).toBe(2200);
    expect(retryDelayMs(1, 0, policy, () => 1)).toBe(0);
    expect(retryDelayMs(1, 3_600_000, policy, () => 0)).toBe(60_000);
  });
});
