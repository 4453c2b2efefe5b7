/**
 * When to retry a request to an inference endpoint and how long to wait first. Rate limits (429),
 * server errors (5xx), request timeouts (408) and network failures are transient for an
 * evaluation run; other 4xx mean the request itself is wrong and are not retried.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Backoff before the first retry; doubled for each further retry. */
  readonly baseDelayMs: number;
  /** Cap on the exponential backoff. */
  readonly maxDelayMs: number;
  /** Cap on a server's Retry-After, so a wrong header cannot stall a run for hours. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
};

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Retry-After in milliseconds: either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * The wait before retry number `retry` (1 = first retry). A server's Retry-After is honoured
 * (capped), plus up to 10% jitter so that concurrent workers do not return in lockstep. Without it,
 * exponential backoff with "equal jitter": half the step fixed, half random, so that waits never
 * collapse to zero yet stay spread out.
 */
export function retryDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) {
    const honoured = Math.min(retryAfterMs, policy.maxRetryAfterMs);
    return Math.round(honoured + random() * honoured * 0.1);
  }
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
