// The model and engine knobs of the server (names follow vLLM's flags where they mean the same
// thing), read like every other setting: flag, then environment, then the default. The limits are
// the engine's own EngineLimits object, flags over DEFAULT_ENGINE_LIMITS, and reach createEngine
// whole: nothing copies them field by field on the way.
import type { LoadFormat } from '../model-format/model-files.js';
import { DEFAULT_MEDIA_WORKERS } from '../media/media-worker-pool.js';
import { DEFAULT_ENGINE_LIMITS, type EngineLimits } from '../runtime/engine/engine-limits.js';
import { parseByteSize, parseInteger, parseSeconds } from './setting-values.js';
import { parseDtype, ServerConfigError, SERVER_SETTINGS, wrap, type reader } from './server-settings.js';

/** --max-queued-requests: the server queues more than the engine's bare default (DEFAULT_ENGINE_LIMITS). */
export const DEFAULT_MAX_QUEUED_REQUESTS = 128;

export interface EngineConfig {
  /** Weight format to load: auto = fp16 on CUDA, q4-int8 on CPU (falling back to what the folder has). */
  readonly dtype: 'auto' | LoadFormat;
  /** onnxruntime intra-op threads; undefined = onnxruntime's default (all cores). */
  readonly threads: number | undefined;
  /** Worker threads for image/video preprocessing. */
  readonly mediaWorkers: number;
  /**
   * What the engine may hold and admit (engine-limits.ts says what each field bounds).
   * --max-queued-requests sets maxWaitingSequences: requests waiting for the engine beyond which
   * new ones get 503 + Retry-After. maxPromptBytes undefined = max-model-len × 16.
   */
  readonly limits: Readonly<EngineLimits>;
}

export function readEngineConfig(read: ReturnType<typeof reader>): EngineConfig {
  const s = SERVER_SETTINGS;
  const integer = (low: number, high: number) => wrap((value) => parseInteger(value, low, high));
  const bytes = (low: number, high: number) => wrap((value) => parseByteSize(value, low, high));
  const defaults = DEFAULT_ENGINE_LIMITS;
  const maxPromptBytes = read(s.maxPromptBytes, undefined as number | undefined, bytes(1024, 1024 ** 3));
  const limits: EngineLimits = {
    ...defaults,
    maxModelLength: read(s.maxModelLength, defaults.maxModelLength, integer(16, 1_048_576)),
    maxRunningSequences: read(s.maxRunningSequences, defaults.maxRunningSequences, integer(1, 1024)),
    maxTokensPerStep: read(s.maxTokensPerStep, defaults.maxTokensPerStep, integer(1, 1_048_576)),
    prefillChunkTokens: read(s.prefillChunkTokens, defaults.prefillChunkTokens, integer(1, 1_048_576)),
    maxWaitingSequences: read(s.maxQueuedRequests, DEFAULT_MAX_QUEUED_REQUESTS, integer(1, 1_000_000)),
    kvCacheBytes: read(s.kvCacheMemory, defaults.kvCacheBytes, bytes(1024 ** 2, 1024 ** 4)),
    prefixCacheBytes: read(s.prefixCacheMemory, defaults.prefixCacheBytes, bytes(0, 1024 ** 4)),
    visionCacheBytes: read(s.visionCacheMemory, defaults.visionCacheBytes, bytes(0, 1024 ** 4)),
    maxCachedGrammars: read(s.maxCachedGrammars, defaults.maxCachedGrammars, integer(1, 4096)),
    jsonMaxWhitespace: read(s.jsonMaxWhitespace, defaults.jsonMaxWhitespace, integer(1, 1024)),
    grammarCompileTimeoutMs: read(
      s.grammarCompileTimeout,
      defaults.grammarCompileTimeoutMs,
      wrap((value) => parseSeconds(value, 0.01, 3600)),
    ),
    ...(maxPromptBytes === undefined ? {} : { maxPromptBytes }),
    maxChoiceBytes: read(s.maxChoiceBytes, defaults.maxChoiceBytes, bytes(1, 64 * 1024 ** 2)),
  };
  if (limits.maxTokensPerStep < limits.maxRunningSequences) {
    // Every running sequence decodes one token per step; a smaller step budget would starve some.
    throw new ServerConfigError('--max-num-batched-tokens must be at least --max-num-seqs');
  }
  return Object.freeze({
    dtype: read(s.dtype, 'auto' as EngineConfig['dtype'], wrap(parseDtype)),
    threads: read(s.threads, undefined as number | undefined, integer(1, 1024)),
    mediaWorkers: read(s.mediaWorkers, DEFAULT_MEDIA_WORKERS, integer(1, 64)),
    limits: Object.freeze(limits),
  });
}
