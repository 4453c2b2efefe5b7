// The engine: requests in, token events out. One loop runs schedule -> model step -> update;
// requests are prepared (media, vision features, prompt) concurrently before they join the
// scheduler's queue. Knows nothing of HTTP.
import type { ChatTokenizer } from '../tokenizer/chat-tokenizer.js';
import type { ModelRunner, SequenceChunk } from '../runner/model-runner.js';
import { ChoiceConstraint, ChoiceTrie } from '../sampling/choice-constraint.js';
import { Sampler } from '../sampling/sampler.js';
import { createSamplingParams, type SamplingParams } from '../sampling/sampling-params.js';
import type { GrammarService } from '../structured-output/grammar-service.js';
import { compileRequestGrammar, startGrammarConstraint } from '../structured-output/request-grammar.js';
import { ActiveSequence } from './active-sequence.js';
import type {
  Engine,
  EngineState,
  EngineStats,
  GenerationEvent,
  GenerationRequest,
  LatencySamples,
  ModelDescription,
} from './engine-api.js';
import { contextLengthMessage, EngineError } from './engine-errors.js';
import { DEFAULT_ENGINE_LIMITS, promptByteLimit } from './engine-limits.js';
import { EngineMetrics } from './engine-metrics.js';
import { EventChannel } from './event-channel.js';
import { BLOCK_TOKENS, PrefixCache, blockHashes } from './prefix-cache.js';
import {
  featuresForRange,
  mediaHashAt,
  preparePrompt,
  promptTokenIds,
  type PreparedPrompt,
} from './prompt-preparation.js';
import { MAX_POSITION_ID, validatePreparedPrompt } from './prompt-validation.js';
import { Scheduler, SchedulerRejectedError, type SchedulerLimits, type StepPlan } from './scheduler.js';
import { VisionCache, type MediaPreprocessor } from './vision-cache.js';

export interface EngineSettings {
  model: ModelDescription;
  scheduler: SchedulerLimits;
  prefixCacheBytes: number;
  visionCacheBytes: number;
  /** max_tokens of requests that give none. */
  defaultMaxTokens: number;
  /** Most UTF-8 bytes of message text per request, checked before tokenizing (default: engine-limits.ts). */
  maxPromptBytes?: number;
  /** Most UTF-8 bytes of all structured choice strings of a request together (default: engine-limits.ts). */
  maxChoiceBytes?: number;
}

export interface EngineLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

interface ActiveRequest {
  request: GenerationRequest;
  /** KV positions each of its sequences may reach: prompt + max new tokens. */
  kvCapacity: number;
  channel: EventChannel<GenerationEvent>;
  prompt: PreparedPrompt;
  hashes: string[];
  sequences: ActiveSequence[];
  unfinished: number;
  cachedTokens: number;
  /** Tokens reported in delta events (a stop token ends a sequence without one). */
  emittedTokens: number;
  arrivedAt: number;
  lastTokenAt: number | undefined;
}

export class InferenceEngine implements Engine {
  private currentState: EngineState = 'ready';
  private readonly scheduler: Scheduler;
  private readonly prefixCache: PrefixCache;
  private readonly visionCache: VisionCache;
  private readonly metrics = new EngineMetrics();
  private readonly sequences = new Map<number, { sequence: ActiveSequence; owner: ActiveRequest }>();
  private nextSequenceId = 1;
  /** Sequences whose KV the runner should free; released between steps, never mid-step. */
  private readonly releases: number[] = [];
  private preparing = 0;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void>;
  private stopping = false;

  constructor(
    private readonly runner: ModelRunner,
    private readonly tokenizer: ChatTokenizer,
    preprocessor: MediaPreprocessor,
    private readonly settings: EngineSettings,
    private readonly logger: EngineLogger,
    /** Compiles and matches grammars; without it, grammar requests are refused. */
    private readonly grammars?: GrammarService,
  ) {
    this.prefixCache = new PrefixCache(settings.prefixCacheBytes, runner.kvBytesPerToken, (prefixId) =>
      runner.dropPrefix(prefixId),
    );
    this.scheduler = new Scheduler(settings.scheduler, (spec) => {
      const owner = this.sequences.get(spec.id)?.owner;
      return owner === undefined ? undefined : this.prefixCache.peek(owner.hashes);
    });
    const mergeUnit = runner.config.vision.spatialMergeSize ** 2;
    this.visionCache = new VisionCache(runner, preprocessor, settings.visionCacheBytes, mergeUnit);
    this.loopDone = this.runLoop();
  }

  get model(): ModelDescription {
    return this.settings.model;
  }

  state(): EngineState {
    return this.currentState;
  }

  generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    this.checkAccepting();
    this.checkPromptBytes(request.messages);
    this.checkChoiceBytes(request.sampling.choices);
    let owner: ActiveRequest | undefined;
    // Fix (issue 4 review): a reader that stopped while the request was still being prepared
    // (owner unset) used to be ignored, and the request then ran to completion for nobody.
    let abandoned = false;
    const channel = new EventChannel<GenerationEvent>(() => {
      abandoned = true;
      if (owner !== undefined) this.abortRequest(owner);
    });
    this.preparing += 1;
    const bind = (active: ActiveRequest) => {
      owner = active;
      if (abandoned) this.abortRequest(active);
    };
    void this.admit(request, channel, bind).finally(() => (this.preparing -= 1));
    return channel;
  }

  async tokenize(input: {
    text?: string;
    messages?: GenerationRequest['messages'];
    addGenerationPrompt?: boolean;
    signal?: AbortSignal;
  }): Promise<{ tokens: number[]; maxModelLength: number }> {
    // Issue 17: the same admission as generation (state, queue bound, byte cap) and the caller's
    // abort, so tokenizing is no way around the queue, and a client that leaves stops its work.
    this.checkAccepting();
    this.checkPromptBytes(input.text === undefined ? (input.messages ?? []) : [{ role: 'user', content: input.text }]);
    this.preparing += 1;
    try {
      input.signal?.throwIfAborted();
      const maxModelLength = this.settings.model.maxModelLength;
      if (input.text !== undefined)
        return { tokens: await this.tokenizer.encodeTextYielding(input.text), maxModelLength };
      const tokenIds = await promptTokenIds(
        input.messages ?? [],
        { config: this.runner.config, tokenizer: this.tokenizer, visionCache: this.visionCache, signal: input.signal },
        input.addGenerationPrompt ?? true,
      );
      input.signal?.throwIfAborted();
      return { tokens: Array.from(tokenIds), maxModelLength };
    } catch (error) {
      throw this.asEngineError(error);
    } finally {
      this.preparing -= 1;
    }
  }

  /** Throws the EngineError of a server that takes no new work now (draining, loading, queue full). */
  private checkAccepting(): void {
    if (this.currentState === 'draining' || this.currentState === 'stopped')
      throw new EngineError('draining', 'the server is shutting down', { retryAfterSeconds: 5 });
    if (this.currentState !== 'ready')
      throw new EngineError('not_ready', 'the model is not ready', { retryAfterSeconds: 5 });
    if (this.preparing + this.scheduler.waitingCount >= this.settings.scheduler.maxWaitingSequences) {
      this.metrics.rejected += 1;
      throw new EngineError('overloaded', 'the server is overloaded: too many requests are waiting', {
        retryAfterSeconds: this.retryAfterSeconds(),
      });
    }
  }

  /**
   * Refuses text that cannot fit the context before paying for its tokenization (issue 17: 3 MB
   * of text took 23 s to tokenize only to be refused afterwards).
   */
  private checkPromptBytes(messages: readonly GenerationRequest['messages'][number][]): void {
    let bytes = 0;
    for (const message of messages) {
      if (typeof message.content === 'string') bytes += Buffer.byteLength(message.content, 'utf8');
      else for (const part of message.content) if (part.type === 'text') bytes += Buffer.byteLength(part.text, 'utf8');
    }
    const limit = promptByteLimit({
      maxModelLength: this.settings.model.maxModelLength,
      maxPromptBytes: this.settings.maxPromptBytes,
    });
    if (bytes > limit)
      throw new EngineError(
        'context_length_exceeded',
        `The messages hold ${bytes} bytes of text; this server tokenizes at most ${limit} bytes per request (its maximum context length is ${this.settings.model.maxModelLength} tokens).`,
        { param: 'messages' },
      );
  }

  async detokenize(tokens: number[]): Promise<string> {
    return this.tokenizer.decode(tokens, { skipSpecialTokens: false });
  }

  stats(): EngineStats {
    const bytesPerToken = this.runner.kvBytesPerToken;
    return {
      running: this.scheduler.runningCount,
      waiting: this.scheduler.waitingCount + this.preparing,
      kvBytesUsed: this.scheduler.reservedKvTokens * bytesPerToken,
      kvBytesBudget: this.settings.scheduler.kvTokenBudget * bytesPerToken,
      prefixCacheQueries: this.prefixCache.stats.queries,
      prefixCacheHits: this.prefixCache.stats.hits,
      visionCacheQueries: this.visionCache.stats.queries,
      visionCacheHits: this.visionCache.stats.hits,
      ...this.metrics.counters(),
    };
  }

  takeLatencySamples(): LatencySamples {
    return this.metrics.takeSamples();
  }

  async drain(graceMilliseconds: number): Promise<void> {
    if (this.currentState === 'ready') this.currentState = 'draining';
    const deadline = Date.now() + graceMilliseconds;
    while ((this.scheduler.hasWork || this.preparing > 0) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    for (const { owner } of [...this.sequences.values()]) this.abortRequest(owner);
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.currentState = 'stopped';
    for (const { owner } of [...this.sequences.values()]) this.abortRequest(owner);
    this.wake?.();
    await this.loopDone;
    this.prefixCache.clear();
    await this.grammars?.close();
    await this.runner.close();
  }

  private retryAfterSeconds(): number {
    return Math.max(
      1,
      Math.ceil(
        (this.scheduler.waitingCount + this.preparing) / Math.max(1, this.settings.scheduler.maxRunningSequences),
      ),
    );
  }

  private async admit(
    request: GenerationRequest,
    channel: EventChannel<GenerationEvent>,
    bind: (owner: ActiveRequest) => void,
  ): Promise<void> {
    const arrivedAt = performance.now();
    // The grammar compiles in its worker while the prompt is prepared.
    const compiling = compileRequestGrammar(this.grammars, request.sampling);
    compiling.catch(() => undefined);
    try {
      request.signal?.throwIfAborted();
      const prompt = await preparePrompt(request.messages, {
        config: this.runner.config,
        tokenizer: this.tokenizer,
        visionCache: this.visionCache,
        signal: request.signal,
      });
      request.signal?.throwIfAborted();
      // Fix (issue 4 review): a request still being prepared when the engine closed was queued
      // behind a loop that had stopped, and its stream never ended.
      if (this.stopping) throw new EngineError('draining', 'the server is shutting down', { retryAfterSeconds: 5 });
      const params = this.samplingParams(request, prompt.tokenIds.length);
      const grammarKey = await compiling;
      request.signal?.throwIfAborted();
      const hashes = blockHashes({
        tokenIds: prompt.tokenIds,
        mediaHashAt: mediaHashAt(prompt),
        cacheSalt: request.cacheSalt ?? '',
      });
      const maxNewTokens =
        params.maxTokens ??
        Math.min(this.settings.defaultMaxTokens, this.settings.model.maxModelLength - prompt.tokenIds.length);
      const kvCapacity = prompt.tokenIds.length + maxNewTokens;
      // Issue 17: nothing unusable may reach a step, where it would fail every request batched with it.
      validatePreparedPrompt(prompt, {
        vocabularySize: this.runner.config.text.vocabSize,
        hiddenSize: this.runner.config.text.hiddenSize,
        mergeUnit: this.runner.config.vision.spatialMergeSize ** 2,
        kvCapacity,
      });
      const owner: ActiveRequest = {
        request,
        kvCapacity,
        channel,
        prompt,
        hashes,
        sequences: [],
        unfinished: params.n,
        cachedTokens: 0,
        emittedTokens: 0,
        arrivedAt,
        lastTokenAt: undefined,
      };
      const group = this.prefixGroup(prompt, hashes);
      const specs = Array.from({ length: params.n }, () => ({
        id: this.nextSequenceId++,
        promptLength: prompt.tokenIds.length,
        maxNewTokens,
        ...group,
      }));
      if (!this.scheduler.canQueue(specs)) {
        this.metrics.rejected += 1;
        throw new EngineError('overloaded', 'the server is overloaded: the waiting queue is full', {
          retryAfterSeconds: this.retryAfterSeconds(),
        });
      }
      const constraint = await this.choiceLimits(request);
      const eosTokenIds = this.runner.config.tokens.eosTokenIds;
      for (const [choice, spec] of specs.entries()) {
        const grammar = startGrammarConstraint(this.grammars, request.sampling, grammarKey, eosTokenIds);
        const sampler = new Sampler(params, {
          promptTokenIds: Array.from(prompt.tokenIds),
          sequenceIndex: choice,
          ...(constraint === undefined ? {} : { constraint: new ChoiceConstraint(constraint.trie) }),
          ...(grammar === undefined ? {} : { constraint: grammar }),
        });
        const output = this.tokenizer.createOutputStream({ stop: [...params.stop] });
        const sequence = new ActiveSequence(
          spec.id,
          choice,
          prompt,
          sampler,
          output,
          this.tokenizer,
          {
            maxNewTokens,
            stopTokenIds: new Set(
              request.sampling.ignoreEos === true
                ? params.stopTokenIds
                : [...params.stopTokenIds, ...this.runner.config.tokens.eosTokenIds],
            ),
            ...(constraint === undefined
              ? {}
              : { choices: { strings: constraint.strings, singleTokenIds: constraint.singleTokenIds } }),
            ...(grammar === undefined ? {} : { grammar }),
          },
          (event) => this.onSequenceEvent(owner, event),
        );
        owner.sequences.push(sequence);
        this.sequences.set(spec.id, { sequence, owner });
      }
      for (const spec of specs) this.scheduler.add(spec);
      bind(owner);
      const cached = this.prefixCache.peek(hashes)?.length ?? 0;
      channel.push({
        type: 'prompt',
        promptTokens: prompt.tokenIds.length,
        cachedTokens: Math.min(cached, prompt.tokenIds.length - 1),
        media: prompt.media.map((item) => item.description),
      });
      request.signal?.addEventListener('abort', () => this.abortRequest(owner), { once: true });
      this.wake?.();
    } catch (error) {
      for (const [id, entry] of [...this.sequences.entries()]) {
        if (entry.owner.request !== request) continue;
        entry.sequence.releaseConstraint();
        this.sequences.delete(id);
      }
      channel.fail(this.asEngineError(error));
    }
  }

  private prefixGroup(
    prompt: PreparedPrompt,
    hashes: string[],
  ): { prefixGroup: string; prefixGroupLength: number } | undefined {
    // Requests about the same media share everything up to the end of the last media item:
    // group them there so that one prefill serves all (the seven questions of /analyze-shot).
    const lastMedia = prompt.media[prompt.media.length - 1];
    const end = lastMedia === undefined ? prompt.tokenIds.length : lastMedia.tokenStart + lastMedia.tokenCount;
    // The block holding the media's last token (so the shared prefix covers the whole item),
    // or the prompt's last full block when the media ends inside the unfinished tail.
    const block = Math.min(Math.ceil(end / BLOCK_TOKENS), hashes.length) - 1;
    const key = block >= 0 ? hashes[block] : undefined;
    return key === undefined ? undefined : { prefixGroup: key, prefixGroupLength: (block + 1) * BLOCK_TOKENS };
  }

  private samplingParams(request: GenerationRequest, promptLength: number): SamplingParams {
    const maxModelLength = this.settings.model.maxModelLength;
    const sampling = request.sampling;
    // KV memory is reserved for prompt + max_tokens at admission, so an absent max_tokens gets
    // a bounded default rather than the whole context (which would serialise such requests).
    const maxTokens = sampling.maxTokens ?? Math.min(this.settings.defaultMaxTokens, maxModelLength - promptLength);
    if (promptLength + maxTokens > maxModelLength || maxTokens < 1) {
      throw new EngineError(
        'context_length_exceeded',
        contextLengthMessage(maxModelLength, promptLength, sampling.maxTokens),
        { param: 'messages' },
      );
    }
    return createSamplingParams(
      {
        temperature: sampling.temperature,
        topP: sampling.topP,
        topK: sampling.topK,
        minP: sampling.minP,
        ...(sampling.seed === undefined ? {} : { seed: sampling.seed }),
        repetitionPenalty: sampling.repetitionPenalty,
        presencePenalty: sampling.presencePenalty,
        frequencyPenalty: sampling.frequencyPenalty,
        ...(sampling.logitBias === undefined ? {} : { logitBias: sampling.logitBias }),
        maxTokens,
        stop: sampling.stop ?? [],
        stopTokenIds: sampling.stopTokenIds ?? [],
        n: sampling.n,
        logprobs: sampling.logprobs !== undefined,
        topLogprobs: sampling.logprobs ?? 0,
      },
      { vocabularySize: this.runner.config.text.vocabSize },
    );
  }

  /** Choice strings are tokenized one by one: their count and total size are bounded first. */
  private checkChoiceBytes(choices: readonly string[] | undefined): void {
    if (choices === undefined) return;
    const bytes = choices.reduce((sum, choice) => sum + Buffer.byteLength(choice, 'utf8'), 0);
    const limit = this.settings.maxChoiceBytes ?? DEFAULT_ENGINE_LIMITS.maxChoiceBytes;
    if (bytes > limit)
      throw new EngineError(
        'invalid_request',
        `The structured choice strings hold ${bytes} bytes together; at most ${limit} are allowed.`,
        { param: 'structured_outputs.choice' },
      );
  }

  private async choiceLimits(
    request: GenerationRequest,
  ): Promise<{ trie: ChoiceTrie; strings: string[]; singleTokenIds: number[] | undefined } | undefined> {
    const strings = request.sampling.choices;
    if (strings === undefined) return undefined;
    if (strings.length === 0 || strings.some((choice) => choice === ''))
      throw new EngineError('invalid_request', 'structured choice needs non-empty strings', {
        param: 'structured_outputs.choice',
      });
    const tokenized: number[][] = [];
    for (const choice of strings) tokenized.push(await this.tokenizer.encodeTextYielding(choice));
    const single =
      tokenized.every((ids) => ids.length === 1) && new Set(tokenized.map((ids) => ids[0])).size === tokenized.length;
    return {
      trie: new ChoiceTrie(tokenized, { endTokenIds: this.runner.config.tokens.eosTokenIds }),
      strings,
      singleTokenIds: single ? tokenized.map((ids) => ids[0]!) : undefined,
    };
  }

  private asEngineError(error: unknown): unknown {
    if (error instanceof EngineError) return error;
    if (error instanceof SchedulerRejectedError) {
      this.metrics.rejected += 1;
      return error.reason === 'never_fits'
        ? new EngineError('kv_budget_exceeded', `the request can never fit in the KV cache: ${error.message}`, {
            param: 'max_tokens',
          })
        : new EngineError('overloaded', 'the server is overloaded: the waiting queue is full', {
            retryAfterSeconds: this.retryAfterSeconds(),
          });
    }
    // Prompt, sampling and media errors and aborts pass through typed; the HTTP layer maps them.
    return error;
  }

  private onSequenceEvent(owner: ActiveRequest, event: GenerationEvent): void {
    const now = performance.now();
    if (event.type === 'delta' && event.tokenIds.length > 0) {
      if (owner.lastTokenAt === undefined) this.metrics.timeToFirstToken.push((now - owner.arrivedAt) / 1000);
      else this.metrics.interTokenLatency.push((now - owner.lastTokenAt) / 1000);
      owner.lastTokenAt = now;
      owner.emittedTokens += event.tokenIds.length;
      this.metrics.generatedTokens += event.tokenIds.length;
    }
    owner.channel.push(event);
    if (event.type !== 'finish') return;
    this.metrics.finished[event.reason] += 1;
    const sequence = owner.sequences[event.choice]!;
    if (this.scheduler.remove(sequence.id)) this.releases.push(sequence.id);
    this.sequences.delete(sequence.id);
    owner.unfinished -= 1;
    if (owner.unfinished === 0) {
      const completionTokens = owner.sequences.reduce((sum, item) => sum + item.generated.length, 0);
      // Fix (issue 4 review): the counter missed stop tokens (EOS), which end a sequence without a
      // delta event but count in usage's completion tokens; add them so the two agree.
      this.metrics.generatedTokens += completionTokens - owner.emittedTokens;
      this.metrics.promptTokens += owner.prompt.tokenIds.length;
      this.metrics.endToEndLatency.push((now - owner.arrivedAt) / 1000);
      owner.channel.push({
        type: 'usage',
        promptTokens: owner.prompt.tokenIds.length,
        completionTokens,
        cachedTokens: owner.cachedTokens,
      });
      owner.channel.close();
    }
  }

  private abortRequest(owner: ActiveRequest): void {
    let aborted = false;
    for (const sequence of owner.sequences) {
      if (sequence.finishReason !== undefined) continue;
      aborted = true;
      sequence.end('abort', false);
    }
    if (aborted) this.metrics.aborted += 1;
    this.wake?.();
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      for (const id of this.releases.splice(0)) this.runner.release(id);
      if (!this.scheduler.hasWork) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const plan = this.scheduler.schedule();
      if (plan.prefills.length === 0 && plan.decodes.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        await this.runStep(plan);
      } catch (error) {
        this.failRunning(plan, error);
      }
    }
  }

  private async runStep(plan: StepPlan): Promise<void> {
    for (const restore of plan.restores) {
      const entry = this.sequences.get(restore.sequenceId);
      await this.runner.restorePrefix(restore.sequenceId, restore.prefixId, restore.length, entry?.owner.kvCapacity);
      if (entry !== undefined && entry.sequence.choice === 0) entry.owner.cachedTokens = restore.length;
      if (entry !== undefined) this.prefixCache.record(restore.length);
    }
    const newlyStarted = plan.prefills
      .filter((chunk) => chunk.start === 0)
      .map((chunk) => this.sequences.get(chunk.sequenceId));
    for (const entry of newlyStarted) if (entry !== undefined) this.prefixCache.record(0);
    const hidden = this.runner.config.text.hiddenSize;
    const chunks: SequenceChunk[] = [];
    for (const id of plan.decodes) {
      const entry = this.sequences.get(id);
      if (entry === undefined) continue;
      const position = entry.sequence.nextPosition + entry.owner.prompt.ropeDelta;
      if (!Number.isSafeInteger(position) || position < 0 || position > MAX_POSITION_ID) {
        this.failRequestInput(entry.owner, `decode position ${position} is out of range`);
        continue;
      }
      chunks.push({
        sequenceId: id,
        tokenIds: Int32Array.of(entry.sequence.lastToken),
        positionIds: BigInt64Array.of(BigInt(position), BigInt(position), BigInt(position)),
        wantLogits: true,
        kvCapacity: entry.owner.kvCapacity,
      });
    }
    for (const chunk of plan.prefills) {
      const entry = this.sequences.get(chunk.sequenceId);
      if (entry === undefined) continue;
      const prompt = entry.owner.prompt;
      const total = prompt.tokenIds.length;
      const positions = new BigInt64Array(3 * chunk.length);
      for (let axis = 0; axis < 3; axis += 1)
        positions.set(
          prompt.positionIds.subarray(axis * total + chunk.start, axis * total + chunk.start + chunk.length),
          axis * chunk.length,
        );
      const features = featuresForRange(prompt, chunk.start, chunk.length, hidden);
      chunks.push({
        sequenceId: chunk.sequenceId,
        tokenIds: prompt.tokenIds.slice(chunk.start, chunk.start + chunk.length),
        positionIds: positions,
        wantLogits: chunk.last,
        kvCapacity: entry.owner.kvCapacity,
        ...(features === undefined ? {} : { visionFeatures: features }),
      });
    }
    const result = await this.runner.forward(chunks);
    this.scheduler.completeStep(plan);
    for (const chunk of plan.prefills) if (chunk.last) await this.savePrefix(chunk.sequenceId);
    // Grammar masks were requested when the previous tokens were sampled; normally they are here.
    await Promise.all([...result.logits.keys()].map((id) => this.sequences.get(id)?.sequence.ready()));
    for (const [id, logits] of result.logits) {
      const entry = this.sequences.get(id);
      if (entry === undefined || entry.sequence.finishReason !== undefined) continue;
      entry.sequence.accept(logits);
    }
  }

  private async savePrefix(sequenceId: number): Promise<void> {
    const entry = this.sequences.get(sequenceId);
    if (entry === undefined) return;
    // Prompts with media keep only the prefix through their last media item: that is what other
    // questions about the same shot share, and one copy of a video's KV (hundreds of MB on the
    // 3B model) serves them all instead of one copy per question. Text-only prompts keep it all.
    const owner = entry.owner;
    const group = owner.prompt.media.length > 0 ? this.prefixGroup(owner.prompt, owner.hashes) : undefined;
    const hashes = group === undefined ? owner.hashes : owner.hashes.slice(0, group.prefixGroupLength / BLOCK_TOKENS);
    const prefixId = this.prefixCache.reserve(hashes);
    if (prefixId === undefined) return;
    await this.runner.savePrefix(prefixId, sequenceId, hashes.length * BLOCK_TOKENS);
    this.prefixCache.insert(prefixId, hashes);
  }

  /**
   * Fails one request whose inputs turned out unusable while its step was being built (admission
   * validation should have caught it; this is the second line): its sequences leave the scheduler
   * and the step goes on without them, so the other requests of the batch never notice.
   */
  private failRequestInput(owner: ActiveRequest, reason: string): void {
    this.logger.warn({ requestId: owner.request.requestId, reason }, 'request dropped from a step: invalid input');
    for (const sequence of owner.sequences) {
      if (this.scheduler.remove(sequence.id)) this.releases.push(sequence.id);
      this.sequences.delete(sequence.id);
    }
    owner.channel.fail(
      new EngineError('invalid_request', `The request cannot be run: ${reason}.`, { param: 'messages' }),
    );
  }

  /**
   * A failure of the forward pass itself. Which failures are global, and why they fail everyone in
   * the step: the batch is one onnxruntime run, so an exception from it (out of memory, a crashed
   * model worker, a corrupt model file, a kernel error) cannot be pinned on one request. Request
   * inputs (positions, grids, token ids, features) are validated at admission
   * (prompt-validation.ts) and again per sequence while the step is built (failRequestInput), so
   * what reaches this point is the server's fault, answered 503 engine_failed; when the runner
   * reports itself failed (its worker died) the engine turns `failed` and /health says so.
   */
  private failRunning(plan: StepPlan, error: unknown): void {
    this.logger.error({ err: error }, 'model step failed');
    const failure = new EngineError('engine_failed', 'the model failed while generating', { cause: error });
    const ids = new Set([...plan.decodes, ...plan.prefills.map((chunk) => chunk.sequenceId)]);
    for (const id of ids) {
      const entry = this.sequences.get(id);
      if (entry === undefined) continue;
      for (const sequence of entry.owner.sequences) {
        sequence.releaseConstraint();
        if (this.scheduler.remove(sequence.id)) this.releases.push(sequence.id);
        this.sequences.delete(sequence.id);
      }
      entry.owner.channel.fail(failure);
    }
    if ('failed' in this.runner && (this.runner as { failed?: Error }).failed !== undefined)
      this.currentState = 'failed';
  }
}
