// Every engine limit, named, with its default and why: one object that flows through unchanged. The
// server's config reads it from flags over these defaults, createEngine caps maxModelLength by the
// model and adds the KV budget in tokens (EngineSettings.limits), and the engine's parts (scheduler,
// caches, sampling checks) each read their fields of it.
import type { SchedulerLimits } from './scheduler.js';

export interface EngineLimits extends Omit<SchedulerLimits, 'kvTokenBudget'> {
  /** Longest prompt + completion, in tokens (also capped by the model's max_position_embeddings). */
  maxModelLength: number;
  /** KV cache memory for running sequences, in bytes; converted to tokens with the model's bytes per token. */
  kvCacheBytes: number;
  /** Memory for saved KV prefixes (prefix cache), in bytes. */
  prefixCacheBytes: number;
  /** Memory for cached vision features, in bytes. */
  visionCacheBytes: number;
  /** max_tokens for requests that omit it (KV is reserved for prompt + max_tokens at admission). */
  defaultMaxTokens: number;
  /** Compiled grammars (JSON schemas, regexes, EBNF) kept for reuse, least recently used evicted. */
  maxCachedGrammars: number;
  /** Whitespace characters a JSON grammar allows between elements. */
  jsonMaxWhitespace: number;
  /** A grammar compile (or one token mask) running longer fails its request, and the grammar worker is replaced. */
  grammarCompileTimeoutMs: number;
  /** Most UTF-8 bytes of message text per request; undefined = maxModelLength × PROMPT_BYTES_PER_TOKEN. */
  maxPromptBytes?: number;
  /** Most UTF-8 bytes of all structured choice strings of one request together. */
  maxChoiceBytes: number;
}

/**
 * Bytes of text per token of context that the prompt byte cap allows: ordinary text averages about
 * four bytes per Qwen2 token, and runs of spaces or repeated punctuation, whose tokens are longest,
 * rarely exceed sixteen. Text beyond maxModelLength × this could never fit, so it is refused
 * before tokenizing.
 */
export const PROMPT_BYTES_PER_TOKEN = 16;

export function promptByteLimit(limits: Pick<EngineLimits, 'maxModelLength' | 'maxPromptBytes'>): number {
  return limits.maxPromptBytes ?? limits.maxModelLength * PROMPT_BYTES_PER_TOKEN;
}

export const DEFAULT_ENGINE_LIMITS: Readonly<EngineLimits> = Object.freeze({
  /** A 5 s clip at fps 12 is ~7,900 tokens; 32k leaves room for several clips or long answers. */
  maxModelLength: 32_768,
  /** Decode batch cap: on CPU, batches beyond ~8 stop adding throughput (bench/batching). */
  maxRunningSequences: 8,
  /** Prefill chunk: bounds a step's latency so running decodes keep streaming during a long prompt. */
  prefillChunkTokens: 512,
  maxTokensPerStep: 2_048,
  maxWaitingSequences: 64,
  maxWaitingTokens: 262_144,
  kvCacheBytes: 4 * 1024 ** 3,
  prefixCacheBytes: 2 * 1024 ** 3,
  visionCacheBytes: 512 * 1024 ** 2,
  /** ShotBench's evaluation generated at most 1024 tokens; 4096 leaves room for long reasoning. */
  defaultMaxTokens: 4_096,
  /** A compiled schema takes ~1 MB of worker memory and 0.1-1 s to build; clients reuse a few schemas. */
  maxCachedGrammars: 64,
  /**
   * Enough for pretty-printed JSON nested a few levels (newline + indent), and a bound on the
   * whitespace loops small models fall into when any amount is allowed.
   */
  jsonMaxWhitespace: 16,
  /**
   * Schemas of real clients compile in 0.1-1 s on the 152k-token vocabulary; nested repetitions
   * (a regex such as `(([a-z]{20}){20}){20}`) grow without bound. Ten seconds fails those before
   * they stall every other constrained sequence (one worker serves them all).
   */
  grammarCompileTimeoutMs: 10_000,
  /** 1024 choices of 64 bytes: far more than any classification; tokenizing them takes milliseconds. */
  maxChoiceBytes: 64 * 1024,
});
