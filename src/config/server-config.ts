// The HTTP server's settings, read once from command-line flags and SHOTVL_* environment variables
// (a flag wins over its variable, a variable over the default), validated, and frozen. Nothing else
// in the project reads these variables; `shotvl serve` calls `loadServerConfig` and passes the result
// down. `parseServerConfig` is the same thing as a pure function, for tests.
//
// The API key is stored non-enumerable, so spreading, JSON.stringify or a logger never prints it;
// `describeServerConfig` is the one log-friendly view and says only whether a key is set.
import { isAbsolute, resolve } from 'node:path';
import { DEFAULT_MAX_FRAME_LIST_PIXELS, DEFAULT_MAX_INPUT_BYTES } from '../media/media-limits.js';
import { FlagError, readFlags, type FlagValues } from './command-line-flags.js';
import { parseByteSize, parseInteger, parseSeconds } from './setting-values.js';
import { readShotDetectionSettings, type ShotDetectionSettings } from './shot-detection-settings.js';
import { readEngineConfig, type EngineConfig } from './engine-config.js';
import {
  optionalText,
  parseBoolean,
  parseDevice,
  parseLogLevel,
  parseModelNames,
  parseOrigins,
  reader,
  SERVER_FLAGS,
  SERVER_SETTINGS,
  ServerConfigError,
  text,
  wrap,
  type Device,
  type Environment,
  type LogLevel,
} from './server-settings.js';

export { LOG_LEVELS, SERVER_FLAGS, SERVER_SETTINGS, ServerConfigError } from './server-settings.js';
export type { Device, LogLevel } from './server-settings.js';
export type { EngineConfig } from './engine-config.js';

export const DEFAULT_MODEL = 'Vchitect/ShotVL-3B';
/**
 * Images and videos per request. lmms-eval sends 10 frames per question by default, and vLLM's own
 * per-prompt limits are far higher; memory is protected by the byte, pixel and context-length limits,
 * so this only bounds the bookkeeping of one request.
 */
export const DEFAULT_MAX_MEDIA_ITEMS = 32;
/**
 * Slow clients (issue 17): a request must arrive whole within 60 s (a 64 MiB body needs ~9 Mbit/s;
 * raise it for slow links), its headers within 20 s; idle keep-alive connections close after 5 s
 * (Node's default; Fastify's 72 s let idle sockets pile up).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * Open client connections at once; Node closes a connection beyond them as it arrives. 0 = no bound
 * (the default, as in vLLM and llama.cpp's server: Node raises its descriptor limit to the hard
 * limit, and proxies keep many idle keep-alive connections). Set it below the descriptor limit to
 * keep a connection flood from taking the descriptors uploads, ffmpeg and the model need.
 */
export const DEFAULT_MAX_CONNECTIONS = 0;
/** Each upload holds a socket, a temporary file and its descriptors until it is analysed. */
export const DEFAULT_MAX_CONCURRENT_UPLOADS = 16;
/** A subset of src/server/media's MediaFetchLimits: pass it as the loader's `limits`. */
export interface MediaFetchSettings {
  /** Time to open a TCP/TLS connection to a media host (per redirect hop). */
  readonly connectTimeoutMs: number;
  /** Wall time for one media URL, redirects and body included (64 MiB at ~10 Mbit/s needs ~55 s). */
  readonly totalTimeoutMs: number;
  /** Largest media body accepted (downloads and decoded data: URLs); enforced while streaming. */
  readonly maxBytes: number;
  /** Redirects followed by hand, each hop re-checked against the address rules. */
  readonly maxRedirects: number;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** A Hugging Face repo id, a model folder, or `tiny` (built locally, no network). */
  readonly model: string;
  /**
   * The names clients may send as `model` (aliases, as vLLM's --served-model-name takes several);
   * the first is the one `/v1/models` lists first and metrics carry. Empty = the engine's model id.
   */
  readonly servedModelNames: readonly string[];
  readonly device: Device;
  /** Bearer key required on /v1/*, /tokenize and /detokenize; non-enumerable (never logged). */
  readonly apiKey: string | undefined;
  /** Largest request body (JSON with base64 media), in bytes. */
  readonly bodyLimitBytes: number;
  /** Most image and video parts in one request. */
  readonly maxMediaItemsPerRequest: number;
  /** Absolute folder under which `file://` media URLs may be read; undefined = file:// refused. */
  readonly allowedLocalMediaPath: string | undefined;
  /** Lets media URLs reach loopback, private, link-local and metadata addresses (trusted networks only). */
  readonly allowPrivateMediaUrls: boolean;
  readonly mediaFetch: MediaFetchSettings;
  /** On SIGTERM: how long in-flight requests may run before they are aborted. */
  readonly drainGraceMs: number;
  readonly logLevel: LogLevel;
  /** Origins allowed by CORS; empty = CORS off (no headers), ['*'] = any origin. */
  readonly corsOrigins: readonly string[];
  /** Serves the web page at / (and /ui/config.json); `--no-ui` turns it off. */
  readonly ui: boolean;
  /** Time for a client to send a whole request, headers and body; then 408 and the connection closes. */
  readonly requestTimeoutMs: number;
  /** Time for a client to send a request's headers (at most requestTimeoutMs). */
  readonly headersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  readonly keepAliveTimeoutMs: number;
  /** Open client connections at once; more are closed as they arrive. 0 = no bound. */
  readonly maxConnections: number;
  /** Multipart uploads received at once; more get 503 + Retry-After before anything is written to disk. */
  readonly maxConcurrentUploads: number;
  /** Folder uploads are spooled to; undefined = the system's temporary folder. */
  readonly uploadDirectory: string | undefined;
  /** Serve /docs, /docs/json and /openapi.yaml without the API key (they need it when a key is set). */
  readonly publicDocs: boolean;
  /** Decoded pixels of all frames of a frame-list video together, checked from their headers. */
  readonly maxFrameListPixels: number;
  readonly engine: EngineConfig;
  readonly shotDetection: ShotDetectionSettings;
}

/**
 * Builds the frozen configuration from `argv` (flags only, e.g. `['--port', '9000']`) and an
 * environment. Relative paths resolve against `workingDirectory`. Throws ServerConfigError.
 */
export function parseServerConfig(
  argv: readonly string[],
  environment: Environment,
  workingDirectory = '/',
): ServerConfig {
  let flags: FlagValues;
  try {
    flags = readFlags(argv, SERVER_FLAGS);
  } catch (error) {
    if (error instanceof FlagError) throw new ServerConfigError(error.message);
    throw error;
  }
  const read = reader(flags, environment);
  const s = SERVER_SETTINGS;
  const localPath = read(s.allowedLocalMediaPath, undefined, wrap(optionalText));
  const uploadPath = read(s.uploadDir, undefined, wrap(optionalText));
  const config = {
    host: read(s.host, '0.0.0.0', wrap(text)),
    port: read(
      s.port,
      8000,
      wrap((value) => parseInteger(value, 0, 65_535)),
    ),
    model: read(s.model, DEFAULT_MODEL, wrap(text)),
    servedModelNames: Object.freeze([...read(s.servedModelName, [] as readonly string[], wrap(parseModelNames))]),
    device: read(s.device, 'auto' as Device, wrap(parseDevice)),
    bodyLimitBytes: read(
      s.bodyLimit,
      64 * 1024 * 1024,
      wrap((value) => parseByteSize(value, 1024, 4 * 1024 ** 3)),
    ),
    maxMediaItemsPerRequest: read(
      s.maxMediaItems,
      DEFAULT_MAX_MEDIA_ITEMS,
      wrap((value) => parseInteger(value, 0, 1024)),
    ),
    allowedLocalMediaPath:
      localPath === undefined
        ? undefined
        : isAbsolute(localPath)
          ? resolve(localPath)
          : resolve(workingDirectory, localPath),
    allowPrivateMediaUrls: read(s.allowPrivateMediaUrls, false, wrap(parseBoolean)),
    mediaFetch: Object.freeze({
      connectTimeoutMs: read(
        s.mediaConnectTimeout,
        10_000,
        wrap((value) => parseSeconds(value, 0.001, 600)),
      ),
      totalTimeoutMs: read(
        s.mediaFetchTimeout,
        60_000,
        wrap((value) => parseSeconds(value, 0.001, 3600)),
      ),
      maxBytes: read(
        s.mediaMaxBytes,
        DEFAULT_MAX_INPUT_BYTES,
        wrap((value) => parseByteSize(value, 1, 16 * 1024 ** 3)),
      ),
      maxRedirects: read(
        s.mediaMaxRedirects,
        3,
        wrap((value) => parseInteger(value, 0, 20)),
      ),
    }),
    drainGraceMs: read(
      s.drainGrace,
      30_000,
      wrap((value) => parseSeconds(value, 0, 3600)),
    ),
    logLevel: read(s.logLevel, 'info' as LogLevel, wrap(parseLogLevel)),
    corsOrigins: Object.freeze([...read(s.corsOrigins, [] as readonly string[], wrap(parseOrigins))]),
    ui: read(s.ui, true, wrap(parseBoolean)),
    requestTimeoutMs: read(
      s.requestTimeout,
      DEFAULT_REQUEST_TIMEOUT_MS,
      wrap((value) => parseSeconds(value, 0.1, 3600)),
    ),
    headersTimeoutMs: read(
      s.headersTimeout,
      DEFAULT_HEADERS_TIMEOUT_MS,
      wrap((value) => parseSeconds(value, 0.1, 3600)),
    ),
    keepAliveTimeoutMs: read(
      s.keepAliveTimeout,
      DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      wrap((value) => parseSeconds(value, 0.1, 3600)),
    ),
    maxConnections: read(
      s.maxConnections,
      DEFAULT_MAX_CONNECTIONS,
      wrap((value) => parseInteger(value, 0, 1_000_000)),
    ),
    maxConcurrentUploads: read(
      s.maxConcurrentUploads,
      DEFAULT_MAX_CONCURRENT_UPLOADS,
      wrap((value) => parseInteger(value, 1, 100_000)),
    ),
    uploadDirectory:
      uploadPath === undefined
        ? undefined
        : isAbsolute(uploadPath)
          ? resolve(uploadPath)
          : resolve(workingDirectory, uploadPath),
    publicDocs: read(s.publicDocs, false, wrap(parseBoolean)),
    maxFrameListPixels: read(
      s.maxFrameListPixels,
      DEFAULT_MAX_FRAME_LIST_PIXELS,
      wrap((value) => parseInteger(value, 1, 2 ** 40)),
    ),
    engine: readEngineConfig(read),
    shotDetection: readShotDetectionSettings(read, wrap, SERVER_SETTINGS),
  };
  if (config.model === '') throw new ServerConfigError('--model must not be empty');
  if (config.host === '') throw new ServerConfigError('--host must not be empty');
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    // Node refuses a header deadline past the whole request's.
    throw new ServerConfigError('--headers-timeout must not exceed --request-timeout');
  }
  if (config.mediaFetch.connectTimeoutMs > config.mediaFetch.totalTimeoutMs) {
    throw new ServerConfigError('--media-connect-timeout must not exceed --media-fetch-timeout');
  }
  const apiKey = read(s.apiKey, undefined, wrap(optionalText));
  Object.defineProperty(config, 'apiKey', { value: apiKey, enumerable: false });
  return Object.freeze(config) as ServerConfig;
}

/** Reads the process's own flags and environment; call once at start-up. */
export function loadServerConfig(argv: readonly string[] = process.argv.slice(2)): ServerConfig {
  return parseServerConfig(argv, process.env, process.cwd());
}

/** The configuration as a plain object for one log line, the API key replaced by whether it is set. */
export function describeServerConfig(config: ServerConfig): Record<string, unknown> {
  return { ...config, apiKey: config.apiKey === undefined ? 'none' : 'set (redacted)' };
}
