// The engine: requests in, token events out. Requests are prepared (media, prompt) concurrently
// and admitted into the scheduler's queue; one loop runs schedule -> execute -> update, where the
// model runner executes each step (engine-step.ts). Knows nothing of HTTP, nor of the model family.
import type { ChatTokenizer } from '../tokenizer/chat-tokenizer.js';
import type { ModelRunner } from '../runner/model-runner.js';
import type {
  Engine,
  EngineState,
  EngineStats,
  GenerationEvent,
  GenerationRequest,
  LatencySamples,
  ModelDescription,
  TokenizeInput,
  ToolCallFormat,
} from './engine-api.js';
import { AdmissionControl } from './admission-control.js';
import { EngineError, shuttingDown } from './engine-errors.js';
import type { EngineLogger, EngineSettings } from './engine-settings.js';
import { EngineMetrics } from './engine-metrics.js';
import { runEngineStep, type StepContext } from './engine-step.js';
import type { GrammarService } from '../structured-output/grammar-service.js';
import { EventChannel } from './event-channel.js';
import { PrefixCache } from './prefix-cache.js';
import { tokenizedMessages, tokenizeInput, type PromptPreparationContext } from './prompt-preparation.js';
import { RequestRegistry, type ActiveRequest } from './request-registry.js';
import { admitRequest, prepareRequest, type PreparedRequest } from './request-admission.js';
import { checkChoiceBytes, checkPromptBytes } from './request-sampling.js';
import { Scheduler, type StepPlan } from './scheduler.js';
import { describeMedia, VisionCache, type MediaPreprocessor } from './vision-cache.js';

export type { EngineLogger, EngineSettings };

export class InferenceEngine implements Engine {
  readonly model: ModelDescription;
  readonly toolCallFormat: ToolCallFormat;
  private currentState: EngineState = 'ready';
  private readonly scheduler: Scheduler;
  private readonly prefixCache: PrefixCache;
  private readonly visionCache: VisionCache;
  private readonly metrics = new EngineMetrics();
  private readonly registry = new RequestRegistry();
  private nextId = 1;
  /** What the runner should free; released between steps, never mid-step. */
  private readonly releases = { sequenceIds: [] as number[], promptIds: [] as number[] };
  private wake: (() => void) | undefined;
  private loopDone: Promise<void>;
  private stopping = false;
  private readonly step: StepContext;
  private readonly admission: AdmissionControl;

  constructor(
    private readonly runner: ModelRunner,
    /** The engine's own: close() closes it (its off-thread encoder's worker) with the runner. */
    private readonly tokenizer: ChatTokenizer,
    preprocessor: MediaPreprocessor,
    private readonly settings: EngineSettings,
    private readonly logger: EngineLogger,
    /** Compiles and matches grammars; without it, grammar requests are refused. */
    readonly grammars?: GrammarService,
  ) {
    this.model = settings.model;
    this.toolCallFormat = runner.family.toolCallFormat;
    this.prefixCache = new PrefixCache(settings.limits.prefixCacheBytes, runner.kvBytesPerToken, (prefixId) =>
      runner.dropPrefix(prefixId),
    );
    this.scheduler = new Scheduler(settings.limits, this.prefixCache);
    this.visionCache = new VisionCache(runner, preprocessor, settings.limits.visionCacheBytes);
    this.admission = new AdmissionControl(this.scheduler, this.registry, settings.limits, this.metrics);
    const { registry, scheduler, prefixCache } = this;
    const failRequest = (owner: ActiveRequest, failure: EngineError) => this.failRequest(owner, failure);
    this.step = { runner, registry, scheduler, prefixCache, logger, failRequest };
    this.loopDone = this.runLoop();
  }

  state(): EngineState {
    return this.currentState;
  }

  generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    this.admission.checkAccepting(this.currentState);
    checkPromptBytes(request.messages, this.settings.limits);
    checkChoiceBytes(request.sampling.choices, this.settings.limits.maxChoiceBytes);
    let owner: ActiveRequest | undefined;
    // A reader that stops while its request is still being prepared aborts it once admitted.
    let abandoned = false;
    const channel = new EventChannel<GenerationEvent>(() => {
      abandoned = true;
      if (owner !== undefined) this.abortRequest(owner);
    });
    this.admission.preparing += 1;
    const bind = (active: ActiveRequest) => {
      owner = active;
      if (abandoned) this.abortRequest(active);
    };
    void this.admit(request, channel, bind).finally(() => (this.admission.preparing -= 1));
    return channel;
  }

  async tokenize(input: TokenizeInput): Promise<{ tokens: number[]; maxModelLength: number }> {
    // Admitted like generation (state, queue bound, byte cap; issue 17): no way around the queue.
    this.admission.checkAccepting(this.currentState);
    checkPromptBytes(tokenizedMessages(input), this.settings.limits);
    this.admission.preparing += 1;
    try {
      const tokens = await tokenizeInput(input, this.preparation(input.signal));
      return { tokens, maxModelLength: this.settings.limits.maxModelLength };
    } finally {
      this.admission.preparing -= 1;
    }
  }

  async detokenize(tokens: number[]): Promise<string> {
    return this.tokenizer.decode(tokens, { skipSpecialTokens: false });
  }

  stats(): EngineStats {
    const { scheduler, prefixCache, visionCache } = this;
    const { preparing } = this.admission;
    const stats = this.metrics.stats({ scheduler, prefixCache, visionCache, preparing }, this.runner.kvBytesPerToken);
    return this.grammars === undefined ? stats : { ...stats, grammarWorkerRestarts: { ...this.grammars.restarts } };
  }

  takeLatencySamples(): LatencySamples {
    return this.metrics.takeSamples();
  }

  async drain(graceMilliseconds: number): Promise<void> {
    if (this.currentState === 'ready') this.currentState = 'draining';
    const deadline = Date.now() + graceMilliseconds;
    while ((this.scheduler.hasWork || this.admission.preparing > 0) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    for (const owner of this.registry.all()) this.abortRequest(owner);
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.currentState = 'stopped';
    for (const owner of this.registry.all()) this.abortRequest(owner);
    this.wake?.();
    await this.loopDone;
    this.prefixCache.clear();
    await this.grammars?.close();
    await this.tokenizer.close();
    await this.runner.close();
  }

  private preparation(signal: AbortSignal | undefined): PromptPreparationContext {
    return { family: this.runner.family, tokenizer: this.tokenizer, visionCache: this.visionCache, signal };
  }

  private async admit(
    request: GenerationRequest,
    channel: EventChannel<GenerationEvent>,
    bind: (owner: ActiveRequest) => void,
  ): Promise<void> {
    const arrivedAt = performance.now();
    const { config } = this.runner;
    let prepared: PreparedRequest | undefined;
    try {
      const context = this.preparation(request.signal);
      prepared = await prepareRequest(request, context, this.settings.limits, config, this.grammars);
      // A request still being prepared when the engine closed would wait behind a stopped loop.
      if (this.stopping) throw shuttingDown();
      const { prompt } = prepared;
      const { owner, specs } = admitRequest({
        ...prepared,
        request,
        channel,
        arrivedAt,
        tokenizer: this.tokenizer,
        eosTokenIds: config.tokens.eosTokenIds,
        grammars: this.grammars,
        nextId: () => this.nextId++,
        onEvent: (active, event) => this.onSequenceEvent(active, event),
      });
      this.admission.enqueue(owner, specs);
      bind(owner);
      const cached = this.prefixCache.peek(owner.hashes)?.length ?? 0;
      channel.push({
        type: 'prompt',
        promptTokens: prompt.tokenIds.length,
        cachedTokens: Math.min(cached, prompt.tokenIds.length - 1),
        media: prompt.media.map(describeMedia),
      });
      request.signal?.addEventListener('abort', () => this.abortRequest(owner), { once: true });
      this.wake?.();
    } catch (error) {
      prepared?.prompt.releaseMedia();
      channel.fail(error);
    }
  }

  private onSequenceEvent(owner: ActiveRequest, event: GenerationEvent): void {
    const now = performance.now();
    this.metrics.recordEvent(owner, event, now);
    owner.channel.push(event);
    if (event.type !== 'finish') return;
    const sequence = owner.sequences[event.choice]!;
    if (this.scheduler.remove(sequence.id)) this.releases.sequenceIds.push(sequence.id);
    if (!this.registry.finish(sequence.id)) return;
    this.releaseRequest(owner);
    const completionTokens = owner.sequences.reduce((sum, item) => sum + item.generated.length, 0);
    this.metrics.recordRequest(owner, completionTokens, now);
    const usage = { promptTokens: owner.prompt.tokenIds.length, completionTokens, cachedTokens: owner.cachedTokens };
    owner.channel.push({ type: 'usage', ...usage });
    owner.channel.close();
  }

  /** Frees what the runner holds for a request that is over (its prompt and media leases). */
  private releaseRequest(owner: ActiveRequest): void {
    owner.prompt.releaseMedia();
    if (owner.promptSent) this.releases.promptIds.push(owner.id);
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

  /** Fails a request and forgets its sequences; the steps go on without it. */
  private failRequest(owner: ActiveRequest, failure: EngineError): void {
    for (const sequence of owner.sequences) {
      sequence.releaseConstraint();
      if (this.scheduler.remove(sequence.id)) this.releases.sequenceIds.push(sequence.id);
    }
    this.registry.remove(owner);
    this.releaseRequest(owner);
    owner.channel.fail(failure);
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      if (this.releases.sequenceIds.length > 0 || this.releases.promptIds.length > 0)
        this.runner.release({
          sequenceIds: this.releases.sequenceIds.splice(0),
          promptIds: this.releases.promptIds.splice(0),
        });
      const plan = this.scheduler.hasWork ? this.scheduler.schedule() : undefined;
      if (plan === undefined || (plan.prefills.length === 0 && plan.decodes.length === 0)) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        await runEngineStep(this.step, plan);
      } catch (error) {
        this.failRunning(plan, error);
      }
    }
  }

  /**
   * A failed step fails everyone in it: one batched run's exception (out of memory, a crashed
   * worker) cannot be pinned on one request, whose own inputs were validated at admission (503).
   */
  private failRunning(plan: StepPlan, error: unknown): void {
    this.logger.error({ err: error }, 'model step failed');
    const failure = new EngineError('engine_failed', 'the model failed while generating', { cause: error });
    for (const id of new Set([...plan.decodes, ...plan.prefills.map((chunk) => chunk.sequenceId)])) {
      const entry = this.registry.get(id);
      if (entry !== undefined) this.failRequest(entry.owner, failure);
    }
    if (this.runner.failed !== undefined) this.currentState = 'failed';
  }
}
