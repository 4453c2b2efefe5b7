// Errors of media loading (data:, http(s): and file: URLs given in requests). The HTTP layer's seam
// (../media-resolver.ts) and its error catalogue (../errors.ts) know five coarse codes; this class
// extends that seam's MediaFetchError, so the one error handler maps it unchanged, and adds:
// - `reason`: a stable, finer string (private_address_refused, too_many_redirects, ...) for logs,
//   metrics and tests, and for the catalogue should it ever expose them;
// - `status`: the HTTP status the catalogue gives the coarse code.
//
// Messages are written for API users: they name at most the host the user gave, never a resolved
// or internal address, a local path, or library text. The underlying error (socket, DNS, file
// system) is kept as `cause` for logs only.
import { MediaFetchError as ResolverMediaFetchError } from '../media-resolver.js';
import type { MediaFetchErrorCode } from '../media-resolver.js';

interface ReasonEntry {
  readonly code: MediaFetchErrorCode;
  readonly status: number;
}

const entry = (code: MediaFetchErrorCode, status: number): ReasonEntry => ({ code, status });

/**
 * reason -> catalogue code and status. Statuses follow ../errors.ts: refusals are 400 (the request
 * asks for something this server refuses), timeouts 422 (not 408/504, which OpenAI SDKs retry).
 */
export const MEDIA_FETCH_REASONS = {
  /** The URL does not parse, carries credentials, or a redirect points to garbage. */
  invalid_media_url: entry('invalid_media_url', 400),
  /** A data: URL that is not `data:<mime>;base64,<strict base64>`. */
  invalid_data_url: entry('invalid_media_url', 400),
  /** A data: URL whose MIME type is not image/* (for images) or video/* (for videos). */
  unsupported_media_type: entry('invalid_media_url', 400),
  /** A scheme other than data:, http:, https: (and file: when enabled), on the first hop or a redirect. */
  unsupported_url_scheme: entry('media_url_not_allowed', 400),
  /** The host is, or resolves to, a loopback/private/link-local/multicast/reserved address. */
  private_address_refused: entry('media_url_not_allowed', 400),
  /** A redirect from https: to http:. */
  insecure_redirect_refused: entry('media_url_not_allowed', 400),
  /** file: URLs are disabled, or the path is outside the allowed local media folder. */
  local_path_refused: entry('media_url_not_allowed', 400),
  /** More redirects than the limit. */
  too_many_redirects: entry('media_fetch_failed', 422),
  /** DNS failure, refused/reset connection, TLS failure, non-2xx status, truncated or empty body, missing local file. */
  media_fetch_failed: entry('media_fetch_failed', 422),
  /** Connecting, or the whole download, took longer than its limit. */
  media_fetch_timeout: entry('media_fetch_timeout', 422),
  /** More bytes (or frames) than the limit: by Content-Length, while streaming, from a data: URL's length, or a file's size. */
  media_too_large: entry('media_too_large', 413),
} as const satisfies Record<string, ReasonEntry>;

export type MediaFetchReason = keyof typeof MEDIA_FETCH_REASONS;

export class MediaFetchError extends ResolverMediaFetchError {
  /** The finer, stable reason; `code` is the catalogue's code for it. */
  readonly reason: MediaFetchReason;
  /** The HTTP status the catalogue gives `code`. */
  readonly status: number;

  constructor(reason: MediaFetchReason, message: string, options?: { cause?: unknown }) {
    super(MEDIA_FETCH_REASONS[reason].code, message, options);
    this.reason = reason;
    this.status = MEDIA_FETCH_REASONS[reason].status;
  }
}

/** Quotes user-given text for a message, shortened so a megabyte URL does not become a megabyte message. */
export function quoteForMessage(text: string, maxLength = 100): string {
  const shortened = text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
  return `'${shortened}'`;
}
