/**
 * A minimal OpenAI-compatible chat-completions client on Node's fetch, with the retry policy an
 * evaluation run needs (429 / 5xx / network errors, exponential backoff, Retry-After).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';
import { ShotvlError } from '../../util/shotvl-error.js';

export interface ChatEndpoint {
  /** Base URL (`http://host:8000/v1`) or the full `.../chat/completions` URL. */
  readonly url: string;
  readonly apiKey?: string;
  /** Per-attempt time limit. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

export interface TokenUsage {
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly total_tokens?: number;
}

export interface ChatCompletion {
  readonly content: string;
  /** Separate reasoning text, when the server splits it off (vLLM's `reasoning_content`). */
  readonly reasoning?: string;
  readonly finishReason?: string;
  readonly usage?: TokenUsage;
  /** Time of the successful attempt, from sending the request to the parsed reply. */
  readonly latencyMs: number;
  readonly attempts: number;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /** Called before each wait for a retry; lets the caller report it. */
  readonly onRetry?: (retry: number, delayMs: number, reason: string) => void;
  readonly random?: () => number;
}

export class ChatRequestError extends ShotvlError<'chat_request_failed'> {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
  ) {
    super('chat_request_failed', message);
  }
}

/** `http://host/v1` -> `http://host/v1/chat/completions`; a full URL is kept. */
export function chatCompletionsUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/chat/completions') ? trimmed : `${trimmed}/chat/completions`;
}

/** `http://host/v1/chat/completions` or `http://host/v1` -> `http://host/v1/models`. */
export function modelsUrl(base: string): string {
  return `${base.replace(/\/+$/, '').replace(/\/chat\/completions$/, '')}/models`;
}

function headers(apiKey: string | undefined): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json',
    ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  };
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || response.statusText;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : ''))
      .join('');
  }
  return '';
}

function parseCompletion(body: unknown, latencyMs: number, attempts: number): ChatCompletion {
  const choice = (body as { choices?: unknown[] } | null)?.choices?.[0] as
    { message?: { content?: unknown; reasoning_content?: unknown }; finish_reason?: unknown } | undefined;
  if (choice?.message === undefined) throw new ChatRequestError('the reply has no choices[0].message', 200, attempts);
  const usage = (body as { usage?: TokenUsage }).usage;
  const reasoning = choice.message.reasoning_content;
  return {
    content: contentText(choice.message.content),
    ...(typeof reasoning === 'string' && reasoning.length > 0 ? { reasoning } : {}),
    ...(typeof choice.finish_reason === 'string' ? { finishReason: choice.finish_reason } : {}),
    ...(usage !== undefined && usage !== null ? { usage } : {}),
    latencyMs,
    attempts,
  };
}

type AttemptResult =
  | { ok: true; completion: ChatCompletion }
  | { ok: false; retryable: boolean; reason: string; status?: number; retryAfterMs?: number };

async function attempt(
  endpoint: ChatEndpoint,
  body: string,
  attempts: number,
  signal: AbortSignal | undefined,
): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const started = performance.now();
  try {
    const response = await fetch(chatCompletionsUrl(endpoint.url), {
      method: 'POST',
      headers: headers(endpoint.apiKey),
      body,
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
    if (!response.ok) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return {
        ok: false,
        retryable: isRetryableStatus(response.status),
        reason: `HTTP ${response.status}: ${await errorText(response)}`,
        status: response.status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    const parsed = (await response.json()) as unknown;
    return { ok: true, completion: parseCompletion(parsed, Math.round(performance.now() - started), attempts) };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof ChatRequestError) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = timeout.aborted
      ? `no reply within ${endpoint.timeoutMs} ms`
      : `${(error as Error).message}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}`;
    // Network failures, timeouts and unreadable bodies are worth another try.
    return { ok: false, retryable: true, reason };
  }
}

/** POSTs one chat completion, retrying transient failures under `endpoint.retry`. */
export async function createChatCompletion(
  endpoint: ChatEndpoint,
  request: Readonly<Record<string, unknown>>,
  options: RequestOptions = {},
): Promise<ChatCompletion> {
  const body = JSON.stringify(request);
  const policy = endpoint.retry;
  for (let attempts = 1; ; attempts += 1) {
    const result = await attempt(endpoint, body, attempts, options.signal);
    if (result.ok) return result.completion;
    if (!result.retryable || attempts >= policy.maxAttempts) {
      const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
      throw new ChatRequestError(`${result.reason}${tries}`, result.status, attempts);
    }
    const delayMs = retryDelayMs(attempts, result.retryAfterMs, policy, options.random);
    options.onRetry?.(attempts, delayMs, result.reason);
    await sleep(delayMs, undefined, { signal: options.signal });
  }
}

/** The model ids an endpoint lists at GET /models (used when no --model is given). */
export async function listModels(endpoint: ChatEndpoint, signal?: AbortSignal): Promise<string[]> {
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const response = await fetch(modelsUrl(endpoint.url), {
    headers: headers(endpoint.apiKey),
    signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
  });
  if (!response.ok)
    throw new ChatRequestError(
      `GET /models: HTTP ${response.status}: ${await errorText(response)}`,
      response.status,
      1,
    );
  const body = (await response.json()) as { data?: { id?: unknown }[] };
  return (body.data ?? []).flatMap((model) => (typeof model.id === 'string' ? [model.id] : []));
}
