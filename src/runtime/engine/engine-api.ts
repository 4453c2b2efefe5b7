// The engine's API: the only thing the HTTP layer (src/server) and the command line know about
// generation. Submit a request, read an async stream of events, abort through the request's
// AbortSignal; ask for stats and state. Nothing here knows HTTP.

// The conversation (ChatMessage, its parts, tools and tool calls) is src/runtime/tokenizer's, and
// media items are src/media's own type (the runtime may import media; media may not import the
// runtime): where the bytes are (a local file — uploads and downloads are spooled to disk —, bytes
// in memory, or a video's encoded frames) and per-item options the engine clamps to its limits.
import type { ChatMessage, ToolDefinition } from '../tokenizer/chat-message.js';
import type { StructuredOutput } from '../structured-output/grammar-spec.js';
import type { ToolCallFormat } from '../model-family.js';
import type { EncodedMedia } from './vision-cache.js';
import type { ModelBuild } from '../../model-format/model-build.js';

export type { GrammarSpec, StructuredOutput } from '../structured-output/grammar-spec.js';
export type { ToolCallFormat, ToolCallParser, ToolCallPiece } from '../model-family.js';
export type { ModelBuild };
export type { MediaItem, MediaOptions, MediaSource } from '../../media/preprocess-media.js';
export type {
  ChatMessage,
  ChatRole,
  ContentPart,
  TextPart,
  ToolCall,
  ToolDefinition,
} from '../tokenizer/chat-message.js';

export interface SamplingOptions {
  /** Upper bound on generated tokens per choice; absent = up to the model's context length. */
  maxTokens?: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** 0 or -1 = disabled. */
  topK: number;
  minP: number;
  seed?: number;
  /** Hugging Face semantics: over prompt and generated tokens. 1 = off. */
  repetitionPenalty: number;
  /** OpenAI semantics: over generated tokens. 0 = off. */
  presencePenalty: number;
  frequencyPenalty: number;
  /** Token id -> bias added to its logit (clamped to [-100, 100]). */
  logitBias?: Record<number, number>;
  stop?: string[];
  stopTokenIds?: number[];
  ignoreEos?: boolean;
  /** Number of choices generated for the prompt. */
  n: number;
  /** Report log-probabilities of sampled tokens, with this many alternatives (0 = only the sampled token). */
  logprobs?: number;
  /** Constrained choice: the output is exactly one of these strings. */
  choices?: string[];
  /** Grammar-constrained output (JSON, JSON Schema, regex, EBNF); a finished grammar ends the choice. */
  structuredOutput?: StructuredOutput;
}

export interface GenerationRequest {
  /** Caller's id, echoed in logs (the HTTP request id). */
  requestId: string;
  messages: ChatMessage[];
  sampling: SamplingOptions;
  /** Functions the chat template offers the model (rendered into the system turn). */
  tools?: ToolDefinition[];
  /** Isolates prefix-cache entries between tenants: only requests with the same salt share KV prefixes. */
  cacheSalt?: string;
  /** Aborts generation, frees its KV memory and kills its media work. */
  signal?: AbortSignal;
}

export interface TokenLogprob {
  tokenId: number;
  token: string;
  logprob: number;
  bytes: number[];
  top: { tokenId: number; token: string; logprob: number; bytes: number[] }[];
}

export type FinishReason = 'stop' | 'length' | 'abort';

export type GenerationEvent =
  /** The prompt was tokenized and admitted: its size and how much of it came from the prefix cache. */
  | { type: 'prompt'; promptTokens: number; cachedTokens: number; media: MediaDescription[] }
  /** New text of one choice (may be empty when a token completes no character yet). */
  | { type: 'delta'; choice: number; text: string; tokenIds: number[]; logprobs?: TokenLogprob[] }
  /** One choice is done. For constrained choice, the probability of every allowed string. */
  | { type: 'finish'; choice: number; reason: FinishReason; choiceProbabilities?: Record<string, number> }
  /** Last event of a request. */
  | { type: 'usage'; promptTokens: number; completionTokens: number; cachedTokens: number };

/** What the engine reports of each media item of a prompt. */
export type MediaDescription = Pick<
  EncodedMedia,
  'kind' | 'width' | 'height' | 'frames' | 'durationSeconds' | 'tokens'
>;

/** What /tokenize counts: a text, or a conversation (media counted from their grids, never encoded). */
export interface TokenizeInput {
  text?: string;
  messages?: ChatMessage[];
  /** End with the assistant turn opener (default true). */
  addGenerationPrompt?: boolean;
  signal?: AbortSignal;
}

export type EngineState = 'loading' | 'ready' | 'draining' | 'stopped' | 'failed';

export interface EngineStats {
  running: number;
  waiting: number;
  kvBytesUsed: number;
  kvBytesBudget: number;
  prefixCacheQueries: number;
  prefixCacheHits: number;
  visionCacheQueries: number;
  visionCacheHits: number;
  promptTokens: number;
  generatedTokens: number;
  abortedRequests: number;
  rejectedRequests: number;
  finishedRequests: Record<FinishReason, number>;
  /** Grammar workers replaced since start, by why the previous one ended (engines with grammar support). */
  grammarWorkerRestarts?: Record<'crash' | 'timeout', number>;
}

export interface LatencySamples {
  timeToFirstToken: number[];
  interTokenLatency: number[];
  endToEndLatency: number[];
}

export interface ModelDescription {
  /** The id clients send as `model` (e.g. "Vchitect/ShotVL-3B"). */
  id: string;
  maxModelLength: number;
  /** Defaults from the model's generation_config.json. */
  generationDefaults: Partial<
    Pick<SamplingOptions, 'temperature' | 'topP' | 'topK' | 'repetitionPenalty' | 'maxTokens'>
  >;
  createdAt: number;
  /** Weights, load format and devices: what decides the outputs besides the request (system_fingerprint). */
  build?: ModelBuild;
}

export interface Engine {
  readonly model: ModelDescription;
  /** The loaded model family's tool-call format: the grammar that forces calls, the parser of answers. */
  readonly toolCallFormat: ToolCallFormat;
  state(): EngineState;
  /**
   * Starts generation. Throws EngineError at once for requests that can never run (context
   * overflow, overload); errors after admission arrive by rejecting the iterator.
   */
  generate(request: GenerationRequest): AsyncIterable<GenerationEvent>;
  /**
   * Token ids of a text or a conversation. Admitted like generate (503 errors when the queue is
   * full or the server drains, the prompt byte cap) and stopped by `signal`.
   */
  tokenize(input: TokenizeInput): Promise<{ tokens: number[]; maxModelLength: number }>;
  detokenize(tokens: number[]): Promise<string>;
  stats(): EngineStats;
  /** Latency samples recorded since the previous call (for Prometheus histograms). */
  takeLatencySamples(): LatencySamples;
  /** Stops admitting requests; resolves when in-flight ones finish or the grace period ends (the rest are aborted). */
  drain(graceMilliseconds: number): Promise<void>;
  close(): Promise<void>;
}
