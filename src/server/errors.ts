// The one error catalogue of the HTTP API and the one place where anything thrown — our own
// ApiError, an error of the layers below (every one a ShotvlError with a stable code: the engine's,
// the tokenizer's, sampling's, media's), Fastify's own errors — becomes a status and OpenAI's
// envelope `{"error":{"message","type","param","code"}}`. The layers below never translate each
// other's errors for HTTP: they throw their own, and RUNTIME_CODES below says how each leaves.
// `code` is always one of the strings below, so clients can switch on it.
//
// Threat model for messages: they reach untrusted clients. 4xx messages are ours or were written
// for API users by the layer that threw (engine, media); 5xx messages are catalogue text plus the
// request id, never the library text of the cause, which goes to the log only.
//
// Status choices worth a note:
// - media timeouts are 422, not 408: 408 means "the client was too slow sending its request", and
//   the OpenAI SDKs retry 408 automatically, which would repeat a slow fetch or decode for nothing.
// - private/loopback media URLs are 400 (the request asks for something the server refuses), not 403.
// - 499 (client closed request, nginx's convention) is logged but nobody is left to read it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EngineError, type EngineErrorCode } from '../runtime/engine/engine-errors.js';
import { MEDIA_ERROR_CODES, type MediaErrorCode } from '../media/media-errors.js';
import { SamplingParamsError } from '../runtime/sampling/sampling-params.js';
import { ShotvlError } from '../util/shotvl-error.js';
import type { MediaFetchErrorCode } from './media-resolver.js';
import { describeValidationError, type ValidationIssue } from './validation-message.js';

export type OpenAiErrorType = 'invalid_request_error' | 'authentication_error' | 'server_error';

interface CatalogueEntry {
  readonly status: number;
  readonly type: OpenAiErrorType;
  /** Default message; `{name}` placeholders are filled from ApiError values. */
  readonly message: string;
}

const invalid = (status: number, message: string): CatalogueEntry => ({
  status,
  type: 'invalid_request_error',
  message,
});
const server = (status: number, message: string): CatalogueEntry => ({ status, type: 'server_error', message });

export const ERROR_CATALOGUE = {
  invalid_request: invalid(400, '{detail}'),
  invalid_json: invalid(
    400,
    'We could not parse the JSON body of your request. Send a JSON object with Content-Type: application/json.',
  ),
  unsupported_content_type: invalid(415, 'Unsupported Content-Type; send the request body as application/json.'),
  body_too_large: invalid(413, 'The request body is larger than this server accepts ({limit} bytes).'),
  invalid_api_key: {
    status: 401,
    type: 'authentication_error',
    message: "Missing or incorrect API key. Send it as 'Authorization: Bearer <key>'.",
  },
  model_not_found: invalid(404, "The model '{model}' does not exist. This server serves '{served}'."),
  unknown_url: invalid(404, 'Invalid URL ({method} {url}).'),
  method_not_allowed: invalid(405, '{method} is not allowed on {url}; use {allowed}.'),
  unsupported_feature: invalid(400, '{feature} is not supported yet.'),
  too_many_media_items: invalid(
    400,
    'At most {limit} images and videos are allowed per request; this one has {count}.',
  ),
  context_length_exceeded: invalid(400, "The request is longer than this model's maximum context length."),
  kv_budget_exceeded: invalid(
    400,
    'The request needs more KV-cache memory than this server has; shorten it or lower max_tokens or n.',
  ),
  // Media: see media-resolver.ts and src/media/media-errors.ts for what each means.
  invalid_media_url: invalid(400, 'The media URL is malformed.'),
  media_url_not_allowed: invalid(400, 'The media URL is not allowed by this server.'),
  invalid_media_options: invalid(400, 'The media options are invalid.'),
  media_fetch_failed: invalid(422, 'The media URL could not be fetched.'),
  media_fetch_timeout: invalid(422, 'Fetching the media URL took too long.'),
  media_too_large: invalid(413, 'The media item is too large.'),
  unsupported_format: invalid(415, 'The media item is not in a supported image or video format.'),
  corrupt_media: invalid(422, 'The media item could not be decoded.'),
  unsupported_aspect_ratio: invalid(422, 'The media item is too long and narrow (aspect ratio above 200).'),
  media_timeout: invalid(422, 'Decoding the media item took too long.'),
  media_invalid: invalid(422, 'A media item could not be processed.'),
  media_aborted: invalid(499, 'Media processing was aborted.'),
  client_closed_request: invalid(499, 'The client closed the request.'),
  // Malformed HTTP and slow clients, answered by the clientError handler (client-errors.ts).
  request_timeout: invalid(408, 'The request was not received in time; send it faster or in one go.'),
  malformed_request: invalid(400, 'The request is not valid HTTP/1.1.'),
  headers_too_large: invalid(431, 'The request headers are too large.'),
  overloaded: server(503, 'The server is overloaded; retry after {seconds} seconds.'),
  draining: server(503, 'The server is shutting down; retry shortly.'),
  not_ready: server(503, 'The model is still loading; retry shortly.'),
  engine_failed: server(503, 'The inference engine has failed (request id {requestId}).'),
  grammar_unavailable: server(
    503,
    'Structured output is briefly unavailable: the grammar engine is restarting (request id {requestId}); retry after {seconds} seconds.',
  ),
  ffmpeg_unavailable: server(503, 'Video decoding is unavailable on this server (ffmpeg is not installed).'),
  internal_error: server(500, 'internal error (request id {requestId})'),
} as const satisfies Record<string, CatalogueEntry>;

export type ApiErrorCode = keyof typeof ERROR_CATALOGUE;

/** Default Retry-After (seconds) when the thrower gave none. */
const RETRY_AFTER_SECONDS: Partial<Record<ApiErrorCode, number>> = { overloaded: 1, draining: 5, not_ready: 5 };

/**
 * Retry-After for any other 503 (a failed engine, no ffmpeg): every 503 carries one, so a client or
 * balancer that honours it backs off instead of hammering a replica that an orchestrator is about
 * to restart.
 */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 10;

export interface ApiErrorOptions {
  /** Values for the catalogue template. */
  values?: Record<string, string | number>;
  /** Replaces the template (4xx only; 5xx always use the template). */
  message?: string;
  /** The request field at fault, e.g. `messages[0].content[1].image_url`. */
  param?: string | null;
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An error of the HTTP API: a catalogue code plus what fills its message. */
export class ApiError extends ShotvlError<ApiErrorCode> {
  readonly options: ApiErrorOptions;

  /** The message is the catalogue's template unless `options.message` replaces it (4xx only). */
  constructor(code: ApiErrorCode, options: ApiErrorOptions = {}) {
    super(code, options.message ?? fillTemplate(ERROR_CATALOGUE[code].message, options.values ?? {}), {
      cause: options.cause,
    });
    this.options = options;
  }
}

export interface ErrorBody {
  error: { message: string; type: OpenAiErrorType; param: string | null; code: ApiErrorCode };
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

interface RuntimeMapping {
  code: ApiErrorCode;
  /** The request field at fault when the error names none. */
  param?: string;
  /** Rewords the error's message for API users (default: as it is). */
  message?: (message: string) => string;
}

const same = <Code extends ApiErrorCode>(codes: readonly Code[]): Record<Code, RuntimeMapping> =>
  Object.fromEntries(codes.map((code) => [code, { code }])) as unknown as Record<Code, RuntimeMapping>;

/**
 * Codes of the layers below that a client may see, and the catalogue code each leaves as (their
 * message is written for API users). Any other ShotvlError is our bug: 500, message logged only.
 */
const RUNTIME_CODES: Record<EngineErrorCode | MediaErrorCode | MediaFetchErrorCode, RuntimeMapping> &
  Record<string, RuntimeMapping | undefined> = {
  ...same<EngineErrorCode>([
    'overloaded',
    'draining',
    'not_ready',
    'context_length_exceeded',
    'kv_budget_exceeded',
    'invalid_request',
    'media_invalid',
    'engine_failed',
    'grammar_unavailable',
  ]),
  ...same<Exclude<MediaErrorCode, 'media_not_found'>>(
    MEDIA_ERROR_CODES.filter((code): code is Exclude<MediaErrorCode, 'media_not_found'> => code !== 'media_not_found'),
  ),
  // No file at the media path: the API code a missing file: URL gets (media/local-file-url.ts).
  media_not_found: { code: 'media_fetch_failed' },
  ...same<MediaFetchErrorCode>([
    'invalid_media_url',
    'media_url_not_allowed',
    'media_fetch_failed',
    'media_fetch_timeout',
    'media_too_large',
  ]),
  invalid_prompt: { code: 'invalid_request', param: 'messages' },
  invalid_sampling_params: { code: 'invalid_request' },
  // Positions and grids are computed from the request's own media and options: its fault, a 400.
  invalid_rope_input: { code: 'invalid_request', param: 'messages', message: cannotBeRun },
  invalid_grid: { code: 'invalid_request', param: 'messages', message: cannotBeRun },
};

function cannotBeRun(message: string): string {
  return `The request cannot be run: ${message}.`;
}

function runtimeParam(error: ShotvlError, mapping: RuntimeMapping): string | null {
  if (error instanceof EngineError && error.details.param !== undefined) return error.details.param;
  if (error instanceof SamplingParamsError) return error.parameter;
  return mapping.param ?? null;
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  validation?: ValidationIssue[];
  validationContext?: string;
}

function fromFastifyError(error: FastifyLikeError, bodyLimit: number): ApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_VALIDATION': {
      const { message, param } = describeValidationError(error.validation ?? [], error.validationContext ?? 'body');
      return new ApiError('invalid_request', { message, param });
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('body_too_large', { values: { limit: bodyLimit } });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported_content_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid_json', { message: 'The request body is empty; send a JSON object.' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError('invalid_json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('invalid_request', { message: 'The request body does not match its Content-Length.' });
  }
  // Other client errors of Fastify (bad headers, aborted uploads): 400, naming Fastify's code, not its text.
  if (
    typeof error.code === 'string' &&
    error.code.startsWith('FST_') &&
    typeof error.statusCode === 'number' &&
    error.statusCode < 500
  ) {
    return new ApiError('invalid_request', { message: `The request could not be processed (${error.code}).` });
  }
  return undefined;
}

/** The message of an error of the layers below that is written for users (RUNTIME_CODES knows it). */
export function userFacingMessage(error: unknown): string | undefined {
  if (!(error instanceof ShotvlError)) return undefined;
  const mapping = RUNTIME_CODES[error.code];
  return mapping === undefined ? undefined : (mapping.message?.(error.message) ?? error.message);
}
/** Socket errors of a client that went away mid-request: a 499 for the log, not our failure. */
const DISCONNECT_CODES: ReadonlySet<unknown> = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Turns anything thrown into an ApiError (its cause kept for the log). */
export function toApiError(error: unknown, bodyLimit = 0): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ShotvlError) {
    const mapping = RUNTIME_CODES[error.code];
    if (mapping === undefined) return new ApiError('internal_error', { cause: error });
    return new ApiError(mapping.code, {
      message: mapping.message?.(error.message) ?? error.message,
      param: runtimeParam(error, mapping),
      ...(error instanceof EngineError ? { retryAfterSeconds: error.details.retryAfterSeconds } : {}),
      cause: error,
    });
  }
  if (typeof error === 'object' && error !== null) {
    const fastifyError = fromFastifyError(error as FastifyLikeError, bodyLimit);
    if (fastifyError !== undefined) return fastifyError;
  }
  return new ApiError('internal_error', { cause: error });
}

/** The same client error naming the request field at fault; server errors stay as they are. */
export function withParam(error: unknown, param: string): ApiError {
  const apiError = toApiError(error);
  if (ERROR_CATALOGUE[apiError.code].status >= 500) return apiError;
  return new ApiError(apiError.code, { ...apiError.options, message: apiError.message, param });
}

/** Codes whose message is always the catalogue's: the cause may carry internal detail. */
const TEMPLATE_ONLY: ReadonlySet<ApiErrorCode> = new Set(['internal_error', 'engine_failed', 'grammar_unavailable']);

/** The status, headers and body for `error`; `requestId` goes into 5xx messages. */
export function toErrorReply(error: unknown, requestId: string, bodyLimit = 0): ErrorReply {
  const apiError = toApiError(error, bodyLimit);
  const entry: CatalogueEntry = ERROR_CATALOGUE[apiError.code];
  const retryAfter =
    apiError.options.retryAfterSeconds ??
    RETRY_AFTER_SECONDS[apiError.code] ??
    (entry.status === 503 ? UNAVAILABLE_RETRY_AFTER_SECONDS : undefined);
  const values = { seconds: Math.max(1, Math.ceil(retryAfter ?? 1)), ...apiError.options.values, requestId };
  const message =
    TEMPLATE_ONLY.has(apiError.code) || apiError.options.message === undefined
      ? fillTemplate(entry.message, values)
      : apiError.options.message;
  const headers: Record<string, string> = { ...apiError.options.headers };
  if (retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  return {
    status: entry.status,
    headers,
    body: { error: { message, type: entry.type, param: apiError.options.param ?? null, code: apiError.code } },
  };
}

const EXPECTED_UNAVAILABLE: ReadonlySet<string> = new Set(['overloaded', 'draining', 'not_ready']);

/** A socket error of this request's own client, gone mid-request (not our failure: no stack, no 500). */
function clientWentAway(request: FastifyRequest, error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return DISCONNECT_CODES.has(code) && (request.raw.destroyed || request.raw.socket?.destroyed !== false);
}

function sendError(request: FastifyRequest, reply: FastifyReply, thrown: unknown, bodyLimit: number): FastifyReply {
  const error = clientWentAway(request, thrown) ? new ApiError('client_closed_request', { cause: thrown }) : thrown;
  const { status, headers, body } = toErrorReply(error, request.id, bodyLimit);
  // Load shedding (overloaded, draining, not ready) is the server working as designed: a warning
  // without a stack. Other 5xx are our bugs or a failed engine and keep the cause for the log.
  if (status === 503 && EXPECTED_UNAVAILABLE.has(body.error.code))
    request.log.warn({ code: body.error.code, status }, body.error.message);
  else if (status >= 500) request.log.error({ err: error, code: body.error.code }, 'request failed');
  else if (status === 499) request.log.info({ code: body.error.code, status }, 'client went away');
  else request.log.info({ code: body.error.code, status, param: body.error.param }, body.error.message);
  // Set here too: errors raised before routing skip the onSend hook that normally adds it.
  return reply
    .code(status)
    .headers(headers)
    .header('x-request-id', request.id)
    .type('application/json; charset=utf-8')
    .send(body);
}

/** For Fastify's `frameworkErrors` option: errors raised before routing (a malformed URL) use the envelope too. */
export function frameworkErrorHandler(
  bodyLimit: number,
): (error: Error, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    sendError(request, reply, error, bodyLimit);
  };
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/**
 * The one error handler: every thrown error and every unknown route leaves as OpenAI's envelope.
 * A known path asked with the wrong method gets 405 with `Allow`.
 */
export function registerErrorHandlers(app: FastifyInstance, options: { bodyLimit: number }): void {
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error, options.bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = METHODS.filter((method) => method !== request.method && app.hasRoute({ url: path, method }));
    const url = path.length > 200 ? `${path.slice(0, 200)}...` : path;
    if (allowed.length > 0) {
      const allow = allowed.join(', ');
      return sendError(
        request,
        reply,
        new ApiError('method_not_allowed', {
          values: { method: request.method, url, allowed: allow },
          headers: { allow },
        }),
        options.bodyLimit,
      );
    }
    return sendError(
      request,
      reply,
      new ApiError('unknown_url', { values: { method: request.method, url } }),
      options.bodyLimit,
    );
  });
}
