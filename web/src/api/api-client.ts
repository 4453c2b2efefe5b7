// The page's one way to the server: same origin, the API key (when the server wants one) as a
// Bearer header, every failure as an ApiRequestError carrying the server's own message. A 401 tells
// the app to ask for the key again (onUnauthorized).
import type { AnalysisResponse } from '../analysis/analysis-types.js';
import { ApiRequestError, envelopeError, errorFromResponseText, UNREACHABLE_MESSAGE } from './api-error.js';
import { SseDecoder } from './sse-decoder.js';

/** GET /ui/config.json (src/server/routes/ui/route.ts). */
export interface UiConfig {
  api_key_required: boolean;
  model: string;
  max_upload_bytes: number;
  max_media_items: number;
  shot_segmentation: boolean;
}

export interface UploadProgress {
  /** Called as the body goes out; total is the whole form's size. */
  onUploadProgress(loaded: number, total: number): void;
  /** The body has been sent; the server is analysing. */
  onUploaded(): void;
}

export interface ChatChunk {
  choices: { index: number; delta: { content?: string | null; role?: string }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
}

export class ApiClient {
  constructor(
    private readonly apiKey: () => string | undefined,
    private readonly onUnauthorized: (error: ApiRequestError) => void,
  ) {}

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = json ? { 'content-type': 'application/json' } : {};
    const key = this.apiKey();
    if (key !== undefined) headers.authorization = `Bearer ${key}`;
    return headers;
  }

  private failed(error: ApiRequestError): ApiRequestError {
    if (error.status === 401) this.onUnauthorized(error);
    return error;
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      if (init.signal?.aborted === true) throw error;
      throw new ApiRequestError(UNREACHABLE_MESSAGE, 0);
    }
    if (!response.ok) throw this.failed(errorFromResponseText(response.status, await response.text()));
    return response;
  }

  async config(): Promise<UiConfig> {
    return (await (await this.send('/ui/config.json', { headers: {} })).json()) as UiConfig;
  }

  /** GET /v1/models: checks the key. */
  async models(): Promise<string[]> {
    const body = (await (await this.send('/v1/models', { headers: this.headers(false) })).json()) as {
      data: { id: string }[];
    };
    return body.data.map((model) => model.id);
  }

  async analyzeJson(body: Record<string, unknown>, signal: AbortSignal): Promise<AnalysisResponse> {
    const response = await this.send('/analyze-shot', {
      method: 'POST',
      headers: this.headers(true),
      body: JSON.stringify(body),
      signal,
    });
    return (await response.json()) as AnalysisResponse;
  }

  /** A multipart upload through XMLHttpRequest, the one browser API that reports upload progress. */
  analyzeUpload(form: FormData, progress: UploadProgress, signal: AbortSignal): Promise<AnalysisResponse> {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open('POST', '/analyze-shot');
      for (const [name, value] of Object.entries(this.headers(false))) request.setRequestHeader(name, value);
      request.upload.onprogress = (event) => progress.onUploadProgress(event.loaded, event.total);
      request.upload.onload = () => progress.onUploaded();
      request.onload = () => {
        if (request.status === 200) {
          try {
            resolve(JSON.parse(request.responseText) as AnalysisResponse);
          } catch {
            reject(new ApiRequestError('The server sent an analysis the page cannot read.', request.status));
          }
          return;
        }
        reject(this.failed(errorFromResponseText(request.status, request.responseText)));
      };
      request.onerror = () => reject(new ApiRequestError(UNREACHABLE_MESSAGE, 0));
      request.onabort = () => reject(new DOMException('The analysis was cancelled.', 'AbortError'));
      signal.addEventListener('abort', () => request.abort(), { once: true });
      request.send(form);
    });
  }

  /** POST /v1/chat/completions with stream: true; yields each chunk until [DONE]. */
  async *chatStream(body: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<ChatChunk> {
    const response = await this.send('/v1/chat/completions', {
      method: 'POST',
      headers: this.headers(true),
      body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
      signal,
    });
    if (response.body === null) throw new ApiRequestError('The server sent no stream.', response.status);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const decoder = new SseDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        const events = done ? decoder.end() : decoder.push(value);
        for (const data of events) {
          if (data === '[DONE]') return;
          const parsed = JSON.parse(data) as unknown;
          // An error after the stream began arrives as an event of its own.
          const error = envelopeError(parsed, response.status);
          if (error !== undefined) throw error;
          yield parsed as ChatChunk;
        }
        if (done) return;
      }
    } finally {
      // Stops the download when the reader stopped early; a no-op on a finished or aborted stream.
      await reader.cancel().catch(() => undefined);
    }
  }
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
