// Builds an engine for a converted model folder: tokenizer, generation defaults, the model
// runner (a worker thread by default) and the limits.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadFormat } from '../../model-format/model-files.js';
import { describeModelBuild } from '../../model-format/model-build.js';
import { loadTokenizer } from '../tokenizer/load-tokenizer.js';
import type { ModelRunner } from '../runner/model-runner.js';
import { WorkerModelRunner } from '../runner/worker-model-runner.js';
import { loadModelRunner } from '../model-families.js';
import type { ModelDescription } from './engine-api.js';
import { DEFAULT_ENGINE_LIMITS, type EngineLimits } from './engine-limits.js';
import { InferenceEngine, type EngineLogger } from './inference-engine.js';
import type { MediaPreprocessor } from './vision-cache.js';
import { GrammarService } from '../structured-output/grammar-service.js';

export interface CreateEngineOptions {
  modelDir: string;
  /** The name clients send as `model`. */
  modelId: string;
  format: LoadFormat;
  executionProviders?: unknown[];
  intraOpThreads?: number;
  mediaPreprocessor: MediaPreprocessor;
  /** Over DEFAULT_ENGINE_LIMITS (the server passes its configured limits whole). */
  limits?: Partial<EngineLimits>;
  /** Run onnxruntime on the calling thread (tests, benchmarks) instead of a worker thread. */
  inProcess?: boolean;
  /** Tests: let them crash or hang the grammar worker, and shorten its restart backoff. */
  grammarTesting?: { testHooks: true; backoff?: { initialMs: number; maxMs: number } };
  logger: EngineLogger;
}

/** generation_config.json -> request defaults, as vLLM applies them to omitted fields. */
export function readGenerationDefaults(modelDir: string): ModelDescription['generationDefaults'] {
  const path = join(modelDir, 'generation_config.json');
  if (!existsSync(path)) return {};
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const number = (key: string) => (typeof raw[key] === 'number' ? (raw[key] as number) : undefined);
  const defaults: ModelDescription['generationDefaults'] = {};
  // do_sample false (or absent, Hugging Face's default) means greedy whatever temperature says.
  if (raw.do_sample !== true) defaults.temperature = 0;
  else if (number('temperature') !== undefined) defaults.temperature = number('temperature')!;
  if (number('top_p') !== undefined) defaults.topP = number('top_p')!;
  if (number('top_k') !== undefined) defaults.topK = number('top_k')!;
  if (number('repetition_penalty') !== undefined) defaults.repetitionPenalty = number('repetition_penalty')!;
  if (number('max_new_tokens') !== undefined) defaults.maxTokens = number('max_new_tokens')!;
  return defaults;
}

/**
 * In-place KV buffers need onnxruntime to write into the very host buffer it reads (CPU). On a
 * GPU the bound output is a host copy of a device buffer, so caches are concatenated instead.
 */
export function kvModeFor(executionProviders: readonly unknown[]): 'in-place' | 'concat' {
  const names = executionProviders.map((provider) =>
    typeof provider === 'string' ? provider : String((provider as { name?: unknown }).name),
  );
  return names.every((name) => name === 'cpu') ? 'in-place' : 'concat';
}

async function startRunner(options: CreateEngineOptions): Promise<ModelRunner> {
  const executionProviders = options.executionProviders ?? ['cpu'];
  const kvMode = kvModeFor(executionProviders);
  const load = {
    modelDir: options.modelDir,
    format: options.format,
    executionProviders,
    kvMode,
    ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
  };
  return options.inProcess === true ? loadModelRunner(load) : WorkerModelRunner.start(load);
}

export async function createEngine(options: CreateEngineOptions): Promise<InferenceEngine> {
  const runner = await startRunner(options);
  try {
    const tokenizer = await loadTokenizer(options.modelDir, {
      spatialMergeSize: runner.config.vision.spatialMergeSize,
      toolChatTemplate: runner.family.toolCallFormat.chatTemplate,
      onWorkerFailure: (error) =>
        options.logger.warn({ err: error }, 'the tokenizer worker failed; long unbroken texts are tokenized in place'),
    });
    const configured = { ...DEFAULT_ENGINE_LIMITS, ...options.limits };
    const limits = {
      ...configured,
      maxModelLength: Math.min(configured.maxModelLength, runner.config.text.maxPositionEmbeddings),
      kvTokenBudget: Math.max(1, Math.floor(configured.kvCacheBytes / runner.kvBytesPerToken)),
    };
    const grammars = new GrammarService(
      {
        encodedVocabulary: tokenizer.encodedVocabulary(),
        vocabularyType: runner.family.grammarVocabularyType,
        vocabularySize: runner.config.text.vocabSize,
        stopTokenIds: [...runner.config.tokens.eosTokenIds],
        maxJsonWhitespace: limits.jsonMaxWhitespace,
        maxCachedGrammars: limits.maxCachedGrammars,
        ...(options.grammarTesting === undefined ? {} : { testHooks: true }),
      },
      {
        timeoutMs: limits.grammarCompileTimeoutMs,
        logger: options.logger,
        ...(options.grammarTesting?.backoff === undefined ? {} : { backoff: options.grammarTesting.backoff }),
      },
    );
    return new InferenceEngine(
      runner,
      tokenizer,
      options.mediaPreprocessor,
      {
        model: {
          id: options.modelId,
          maxModelLength: limits.maxModelLength,
          generationDefaults: readGenerationDefaults(options.modelDir),
          createdAt: Math.floor(Date.now() / 1000),
          build: describeModelBuild(options.modelDir, options.format, options.executionProviders ?? ['cpu']),
        },
        limits,
      },
      options.logger,
      grammars,
    );
  } catch (error) {
    await runner.close();
    throw error;
  }
}
