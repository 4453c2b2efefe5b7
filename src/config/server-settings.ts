// Every setting of the server: its flag and environment variable, how one is read (a flag wins
// over its variable, a blank variable is unset), and the parsers of the values that are not plain
// numbers, sizes or durations. server-config.ts builds the frozen ServerConfig from these.
import { isLoadFormat, LOAD_FORMATS, type LoadFormat } from '../model-format/model-files.js';
import type { FlagDefinition, FlagValues } from './command-line-flags.js';
import { ShotvlError } from '../util/shotvl-error.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `auto` picks CUDA when a usable GPU is found and falls back to the CPU provider. */
export type Device = 'auto' | 'cpu' | 'cuda' | `cuda:${number}`;

export class ServerConfigError extends ShotvlError<'invalid_server_config'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_server_config', message, options);
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

export interface Setting {
  flag: string;
  env: string;
  boolean?: boolean;
}

/** Every knob: its flag and its environment variable (README lists them with defaults). */
export const SERVER_SETTINGS = {
  host: { flag: 'host', env: 'SHOTVL_HOST' },
  port: { flag: 'port', env: 'SHOTVL_PORT' },
  model: { flag: 'model', env: 'SHOTVL_MODEL' },
  servedModelName: { flag: 'served-model-name', env: 'SHOTVL_SERVED_MODEL_NAME' },
  device: { flag: 'device', env: 'SHOTVL_DEVICE' },
  apiKey: { flag: 'api-key', env: 'SHOTVL_API_KEY' },
  bodyLimit: { flag: 'body-limit', env: 'SHOTVL_BODY_LIMIT' },
  maxMediaItems: { flag: 'max-media-items', env: 'SHOTVL_MAX_MEDIA_ITEMS' },
  allowedLocalMediaPath: { flag: 'allowed-local-media-path', env: 'SHOTVL_ALLOWED_LOCAL_MEDIA_PATH' },
  allowPrivateMediaUrls: { flag: 'allow-private-media-urls', env: 'SHOTVL_ALLOW_PRIVATE_MEDIA_URLS', boolean: true },
  mediaConnectTimeout: { flag: 'media-connect-timeout', env: 'SHOTVL_MEDIA_CONNECT_TIMEOUT' },
  mediaFetchTimeout: { flag: 'media-fetch-timeout', env: 'SHOTVL_MEDIA_FETCH_TIMEOUT' },
  mediaMaxBytes: { flag: 'media-max-bytes', env: 'SHOTVL_MEDIA_MAX_BYTES' },
  mediaMaxRedirects: { flag: 'media-max-redirects', env: 'SHOTVL_MEDIA_MAX_REDIRECTS' },
  maxQueuedRequests: { flag: 'max-queued-requests', env: 'SHOTVL_MAX_QUEUED_REQUESTS' },
  drainGrace: { flag: 'drain-grace', env: 'SHOTVL_DRAIN_GRACE' },
  logLevel: { flag: 'log-level', env: 'SHOTVL_LOG_LEVEL' },
  corsOrigins: { flag: 'cors-origins', env: 'SHOTVL_CORS_ORIGINS' },
  ui: { flag: 'ui', env: 'SHOTVL_UI', boolean: true },
  requestTimeout: { flag: 'request-timeout', env: 'SHOTVL_REQUEST_TIMEOUT' },
  headersTimeout: { flag: 'headers-timeout', env: 'SHOTVL_HEADERS_TIMEOUT' },
  keepAliveTimeout: { flag: 'keep-alive-timeout', env: 'SHOTVL_KEEP_ALIVE_TIMEOUT' },
  maxConnections: { flag: 'max-connections', env: 'SHOTVL_MAX_CONNECTIONS' },
  maxConcurrentUploads: { flag: 'max-concurrent-uploads', env: 'SHOTVL_MAX_CONCURRENT_UPLOADS' },
  uploadDir: { flag: 'upload-dir', env: 'SHOTVL_UPLOAD_DIR' },
  publicDocs: { flag: 'public-docs', env: 'SHOTVL_PUBLIC_DOCS', boolean: true },
  maxFrameListPixels: { flag: 'max-frame-list-pixels', env: 'SHOTVL_MAX_FRAME_LIST_PIXELS' },
  dtype: { flag: 'dtype', env: 'SHOTVL_DTYPE' },
  maxModelLength: { flag: 'max-model-len', env: 'SHOTVL_MAX_MODEL_LEN' },
  maxRunningSequences: { flag: 'max-num-seqs', env: 'SHOTVL_MAX_NUM_SEQS' },
  maxTokensPerStep: { flag: 'max-num-batched-tokens', env: 'SHOTVL_MAX_NUM_BATCHED_TOKENS' },
  prefillChunkTokens: { flag: 'prefill-chunk-tokens', env: 'SHOTVL_PREFILL_CHUNK_TOKENS' },
  kvCacheMemory: { flag: 'kv-cache-memory', env: 'SHOTVL_KV_CACHE_MEMORY' },
  prefixCacheMemory: { flag: 'prefix-cache-memory', env: 'SHOTVL_PREFIX_CACHE_MEMORY' },
  visionCacheMemory: { flag: 'vision-cache-memory', env: 'SHOTVL_VISION_CACHE_MEMORY' },
  threads: { flag: 'threads', env: 'SHOTVL_THREADS' },
  mediaWorkers: { flag: 'media-workers', env: 'SHOTVL_MEDIA_WORKERS' },
  maxCachedGrammars: { flag: 'max-cached-grammars', env: 'SHOTVL_MAX_CACHED_GRAMMARS' },
  jsonMaxWhitespace: { flag: 'json-max-whitespace', env: 'SHOTVL_JSON_MAX_WHITESPACE' },
  grammarCompileTimeout: { flag: 'grammar-compile-timeout', env: 'SHOTVL_GRAMMAR_COMPILE_TIMEOUT' },
  maxPromptBytes: { flag: 'max-prompt-bytes', env: 'SHOTVL_MAX_PROMPT_BYTES' },
  maxChoiceBytes: { flag: 'max-choice-bytes', env: 'SHOTVL_MAX_CHOICE_BYTES' },
  shotThreshold: { flag: 'shot-threshold', env: 'SHOTVL_SHOT_THRESHOLD' },
  minShotSeconds: { flag: 'min-shot-seconds', env: 'SHOTVL_MIN_SHOT_SECONDS' },
  maxShots: { flag: 'max-shots', env: 'SHOTVL_MAX_SHOTS' },
  maxSegmentDuration: { flag: 'max-segment-duration', env: 'SHOTVL_MAX_SEGMENT_DURATION' },
} as const satisfies Record<string, Setting>;

export const SERVER_FLAGS: readonly FlagDefinition[] = Object.values(SERVER_SETTINGS).map((setting: Setting) => ({
  name: setting.flag,
  boolean: setting.boolean === true,
}));

/** Reads one setting: the flag, else the variable (blank = unset); `parse` gets the source name for its errors. */
export function reader(flags: FlagValues, environment: Environment) {
  return function read<T>(setting: Setting, fallback: T, parse: (text: string, source: string) => T): T {
    const flagValue = flags.get(setting.flag);
    if (flagValue !== undefined) return parse(flagValue, `--${setting.flag}`);
    const environmentValue = environment[setting.env]?.trim();
    if (environmentValue !== undefined && environmentValue !== '') return parse(environmentValue, setting.env);
    return fallback;
  };
}

export function wrap<T>(parse: (text: string) => T): (text: string, source: string) => T {
  return (text, source) => {
    try {
      return parse(text);
    } catch (error) {
      throw new ServerConfigError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

export const text = (value: string): string => value.trim();
export const optionalText = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());

export function parseBoolean(value: string): boolean {
  const lowered = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
  if (['false', '0', 'no', 'off'].includes(lowered)) return false;
  throw new Error(`expected true or false, got '${value}'`);
}

export function parseDevice(value: string): Device {
  const device = value.trim().toLowerCase();
  if (!/^(auto|cpu|cuda(:\d+)?)$/.test(device)) throw new Error(`expected auto, cpu, cuda or cuda:N, got '${value}'`);
  return device as Device;
}

export function parseDtype(value: string): 'auto' | LoadFormat {
  const dtype = value.trim().toLowerCase();
  if (dtype !== 'auto' && !isLoadFormat(dtype))
    throw new Error(`expected auto, ${LOAD_FORMATS.join(', ')}, got '${value}'`);
  return dtype as 'auto' | LoadFormat;
}

export function parseLogLevel(value: string): LogLevel {
  const level = value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new Error(`expected one of ${LOG_LEVELS.join(', ')}, got '${value}'`);
  return level as LogLevel;
}

/** `--served-model-name a,b c`: names separated by commas or spaces, each kept once, in order. */
export function parseModelNames(value: string): readonly string[] {
  const names = [...new Set(value.split(/[\s,]+/).filter((name) => name !== ''))];
  for (const name of names) {
    if (name.length > 256) throw new Error(`a served model name is longer than 256 characters`);
  }
  return names;
}

export function parseOrigins(value: string): readonly string[] {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (origin === '*') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new Error(`'${origin}' is not an origin such as https://example.com`);
    }
    if (url.origin !== origin)
      throw new Error(`'${origin}' is not an origin such as https://example.com (no path or trailing slash)`);
  }
  return origins;
}
