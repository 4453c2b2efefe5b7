/**
 * --endpoint: each file is uploaded to POST /analyze-shot as multipart/form-data, streamed from disk
 * (fs.openAsBlob), with the retry policy of `bench run` for 408/429/5xx and network failures. A 4xx
 * answer is the file's failure (not media, too large, ...); running out of retries stops the run.
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dimensionKey } from '../../shot/analysis/dimension-keys.js';
import { isRetryableStatus, parseRetryAfter, retryDelayMs, type RetryPolicy } from '../bench/retry-policy.js';
import { CliError } from '../cli-error.js';
import {
  FileAnalysisError,
  dimensionsFor,
  sniffFileKind,
  type AnalysisBackend,
  type AnalyzeSettings,
} from './analysis-backend.js';

export interface EndpointOptions {
  /** The server (`http://host:8000`), its `/v1` base, or the full `/analyze-shot` URL. */
  readonly url: string;
  readonly apiKey?: string;
  /** Per-attempt time limit. */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly onRetry?: (file: string, reason: string, delayMs: number) => void;
}

/** `http://host:8000/v1/` -> `http://host:8000/analyze-shot`; a full URL is kept. */
export function analyzeShotUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  if (trimmed.endsWith('/analyze-shot')) return trimmed;
  return `${trimmed.replace(/\/v1$/, '')}/analyze-shot`;
}

function formFields(settings: AnalyzeSettings, kind: 'image' | 'video'): [string, string][] {
  const fields: [string, string][] = [['mode', settings.mode]];
  if (settings.dimensions !== undefined)
    fields.push(['dimensions', dimensionsFor(kind, settings.dimensions).map(dimensionKey).join(',')]);
  if (settings.maxPixels !== undefined) fields.push(['max_pixels', String(settings.maxPixels)]);
  if (settings.fps !== undefined && kind === 'video') fields.push(['fps', String(settings.fps)]);
  if (settings.maxTokens !== undefined) fields.push(['max_tokens', String(settings.maxTokens)]);
  if (settings.segment === true && kind === 'video') fields.push(['segment', 'auto']);
  return fields;
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text().catch(() => '');
  try {
    const error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof error?.message === 'string')
      return { code: typeof error.code === 'string' ? error.code : `http_${response.status}`, message: error.message };
  } catch {
    // not the API's JSON error: fall through to the raw text
  }
  return { code: `http_${response.status}`, message: text.slice(0, 300) || response.statusText };
}

export function endpointBackend(options: EndpointOptions, settings: AnalyzeSettings): AnalysisBackend {
  const url = analyzeShotUrl(options.url);
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };

  async function attempt(
    file: string,
    kind: 'image' | 'video',
    signal: AbortSignal,
  ): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; reason: string; retryAfterMs?: number }> {
    const form = new FormData();
    for (const [name, value] of formFields(settings, kind)) form.append(name, value);
    let blob: Blob;
    try {
      blob = await openAsBlob(file);
    } catch (error) {
      throw new FileAnalysisError(
        'unreadable_file',
        `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { cause: error },
      );
    }
    form.append('file', blob, basename(file));
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await fetch(url, {
        method: 'POST',
        body: form,
        headers,
        signal: AbortSignal.any([signal, timeout]),
      });
      if (response.ok) return { ok: true, body: (await response.json()) as Record<string, unknown> };
      const error = await errorOf(response);
      if (response.status === 401) throw new CliError(`${url}: ${error.message} (pass --api-key)`);
      if (response.status === 404 && error.code !== 'model_not_found')
        throw new CliError(`${url}: not found; is this a shotvl server?`);
      if (!isRetryableStatus(response.status)) throw new FileAnalysisError(error.code, error.message);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      return {
        ok: false,
        reason: `HTTP ${response.status}: ${error.message}`,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof FileAnalysisError || error instanceof CliError) throw error;
      const cause = (error as { cause?: { code?: string } }).cause;
      return {
        ok: false,
        reason: timeout.aborted
          ? `no answer within ${options.timeoutMs} ms`
          : `${(error as Error).message}${cause?.code ? ` (${cause.code})` : ''}`,
      };
    }
  }

  return {
    async analyze(file, signal) {
      const kind = await sniffFileKind(file);
      for (let attempts = 1; ; attempts += 1) {
        const result = await attempt(file, kind, signal);
        if (result.ok) {
          // The results file drops the response's identity; a segmentation keeps its `object`, which
          // run-analyze.ts reads to write a line per shot.
          const { id: _id, object, created: _created, ...analysis } = result.body;
          return object === 'shot.segmentation' ? { object, ...analysis } : analysis;
        }
        // Out of retries: the server is down or failing for everyone; stop rather than fail every file.
        if (attempts >= options.retry.maxAttempts)
          throw new CliError(`${url}: ${result.reason} after ${attempts} attempt${attempts === 1 ? '' : 's'}`);
        const delayMs = retryDelayMs(attempts, result.retryAfterMs, options.retry);
        options.onRetry?.(file, result.reason, delayMs);
        await sleep(delayMs, undefined, { signal });
      }
    },
    close: async () => undefined,
  };
}
