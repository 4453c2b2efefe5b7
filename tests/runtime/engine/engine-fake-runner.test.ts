// The engine loop over a fake model runner: what reaches the model each step (chunked prefill,
// interleaved decodes, prefix reuse, early exits), what is freed on abort, how overload is
// rejected, and the stats counters. The real tokenizer renders the prompts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeTokenizerFiles } from '../../../src/convert/tokenizer-files.js';
import { parseModelConfig, type ModelConfig } from '../../../src/model-format/model-config.js';
import type {
  ContentPart,
  GenerationEvent,
  GenerationRequest,
  SamplingOptions,
} from '../../../src/runtime/engine/engine-api.js';
import { EngineError } from '../../../src/runtime/engine/engine-errors.js';
import { DEFAULT_ENGINE_LIMITS } from '../../../src/runtime/engine/engine-limits.js';
import { InferenceEngine } from '../../../src/runtime/engine/inference-engine.js';
import type { SchedulerLimits } from '../../../src/runtime/engine/scheduler.js';
import type { MediaPreprocessor } from '../../../src/runtime/engine/vision-cache.js';
import type { ChatTokenizer } from '../../../src/runtime/tokenizer/chat-tokenizer.js';
import { loadTokenizer } from '../../../src/runtime/tokenizer/load-tokenizer.js';
import { FakeModelRunner, type FakeModelRunnerOptions } from '../../helpers/fake-model-runner.js';
import { fixturePath } from '../../helpers/fixtures.js';
import { greedySampling } from '../../helpers/greedy-sampling.js';
import { noMediaPreprocessor, silentLogger } from '../../helpers/test-engine.js';

const config: ModelConfig = parseModelConfig(
  JSON.parse(readFileSync(fixturePath('golden', 'tiny-a', 'model', 'config.json'), 'utf8')),
);
const EOS = config.tokens.eosTokenIds[0]!;
const BLOCK = 16;

const greedy = greedySampling(8);
const defaultLimits: SchedulerLimits = {
  maxRunningSequences: 8,
  maxTokensPerStep: 256,
  prefillChunkTokens: 256,
  kvTokenBudget: 100_000,
  maxWaitingSequences: 64,
  maxWaitingTokens: 100_000,
};

const LONG_TEXT =
  'Describe the lighting of this film noir shot: hard key light, deep shadows, venetian blinds, smoke, a single practical lamp and a silhouette in the doorway. '.repeat(
    4,
  );

let tokenizer: ChatTokenizer;
let tokenizerDir: string;
const open: { engine: InferenceEngine; runner: FakeModelRunner }[] = [];

beforeAll(async () => {
  tokenizerDir = mkdtempSync(join(tmpdir(), 'shotvl-fake-runner-'));
  await writeTokenizerFiles(tokenizerDir);
  tokenizer = await loadTokenizer(tokenizerDir, { spatialMergeSize: config.vision.spatialMergeSize });
});

afterAll(() => rmSync(tokenizerDir, { recursive: true, force: true }));

afterEach(async () => {
  for (const { engine, runner } of open.splice(0)) {
    await engine.close();
    expect(runner.problems).toEqual([]);
  }
});

interface EngineOptions {
  limits?: Partial<SchedulerLimits>;
  runner?: Partial<FakeModelRunnerOptions>;
  prefixCacheBytes?: number;
  visionCacheBytes?: number;
  preprocessor?: MediaPreprocessor;
}

function makeEngine(options: EngineOptions = {}): { engine: InferenceEngine; runner: FakeModelRunner } {
  const runner = new FakeModelRunner({ config, ...options.runner });
  const engine = new InferenceEngine(
    runner,
    tokenizer,
    options.preprocessor ?? noMediaPreprocessor,
    {
      model: { id: 'fake', maxModelLength: 4_096, generationDefaults: {}, createdAt: 0 },
      limits: {
        ...DEFAULT_ENGINE_LIMITS,
        ...defaultLimits,
        ...options.limits,
        maxModelLength: 4_096,
        prefixCacheBytes: options.prefixCacheBytes ?? 1024 ** 3,
        visionCacheBytes: options.visionCacheBytes ?? 1024 ** 3,
        defaultMaxTokens: 1_024,
      },
    },
    silentLogger,
  );
  open.push({ engine, runner });
  return { engine, runner };
}

function request(
  content: string | ContentPart[],
  sampling: Partial<SamplingOptions> = {},
  extra: Partial<GenerationRequest> = {},
): GenerationRequest {
  return {
    requestId: 'test',
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content },
    ],
    sampling: { ...greedy, ...sampling },
    ...extra,
  };
}

interface Collected {
  tokens: number[][];
  text: string[];
  events: GenerationEvent[];
  usage: Extract<GenerationEvent, { type: 'usage' }> | undefined;
  finishes: Extract<GenerationEvent, { type: 'finish' }>[];
}

async function collect(
  events: AsyncIterable<GenerationEvent>,
  onEvent: (event: GenerationEvent) => void = () => undefined,
): Promise<Collected> {
  const result: Collected = { tokens: [], text: [], events: [], usage: undefined, finishes: [] };
  for await (const event of events) {
    result.events.push(event);
    if (event.type === 'delta') {
      (result.tokens[event.choice] ??= []).push(...event.tokenIds);
      result.text[event.choice] = (result.text[event.choice] ?? '') + event.text;
    }
    if (event.type === 'usage') result.usage = event;
    if (event.type === 'finish') result.finishes.push(event);
    onEvent(event);
  }
  return result;
}

async function promptTokens(engine: InferenceEngine, content: string | ContentPart[]): Promise<number[]> {
  return (await engine.tokenize({ messages: request(content).messages })).tokens;
}

/** What the fake model generates greedily after a prompt, fed one token at a time. */
function expectedTokens(runner: FakeModelRunner, prompt: readonly number[], count: number): number[] {
  const history = [...prompt];
  const out: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const token = runner.greedyToken(history, -1);
    out.push(token);
    history.push(token);
  }
  return out;
}

/** Steps in which the sequence was fed, by step number. */
function stepsOf(runner: FakeModelRunner, sequenceId: number): number[] {
  return runner.forwards
    .filter((event) => event.chunks.some((chunk) => chunk.sequenceId === sequenceId))
    .map((event) => event.step);
}

/** Tokens of the full prompt fed to the model for a sequence (prefill chunks only). */
function prefillFed(runner: FakeModelRunner, sequenceId: number, promptLength: number): number {
  return runner
    .chunksOf(sequenceId)
    .reduce((sum, chunk) => sum + (chunk.start < promptLength ? chunk.tokenIds.length : 0), 0);
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    if (condition()) return;
    await sleep(2);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A gate the fake runner awaits before each forward: tests hold the engine mid-step. */
function gate(): { wait: () => Promise<void>; open: () => void; close: () => void } {
  let release: (() => void) | undefined;
  let pending: Promise<void> | undefined;
  return {
    wait: () => pending ?? Promise.resolve(),
    open: () => {
      release?.();
      pending = undefined;
    },
    close: () => {
      pending = new Promise((resolve) => (release = resolve));
    },
  };
}

describe('engine with a fake runner: what reaches the model', () => {
  it('feeds each prompt and every generated token once, alone or batched, with the same output', async () => {
    const { engine, runner } = makeEngine();
    const prompts = ['Hi', 'What is the shot size of a close-up?', LONG_TEXT];
    const alone = [];
    for (const text of prompts) alone.push((await collect(engine.generate(request(text)))).tokens[0]);
    const together = await Promise.all(
      prompts.map((text) => collect(engine.generate(request(text, {}, { cacheSalt: 'other' })))),
    );
    expect(together.map((result) => result.tokens[0])).toEqual(alone);
    for (const [index, text] of prompts.entries())
      expect(alone[index]).toEqual(expectedTokens(runner, await promptTokens(engine, text), 8));
    // Prompt + 7 decodes (the 8th token is never fed) per sequence.
    for (const id of runner.sequenceIds())
      expect(runner.chunksOf(id).filter((chunk) => chunk.tokenIds.length === 1).length).toBeGreaterThanOrEqual(7);
  });

  it('splits a long prompt into chunks of prefillChunkTokens', async () => {
    const { engine, runner } = makeEngine({ limits: { prefillChunkTokens: 16, maxTokensPerStep: 64 } });
    const prompt = await promptTokens(engine, LONG_TEXT);
    const result = await collect(engine.generate(request(LONG_TEXT, { maxTokens: 3 })));
    expect(result.tokens[0]).toHaveLength(3);
    const [id] = runner.sequenceIds();
    const chunks = runner.chunksOf(id!);
    const prefill = chunks.slice(0, Math.ceil(prompt.length / 16));
    expect(prefill.map((chunk) => chunk.start)).toEqual(prefill.map((_, index) => index * 16));
    expect(prefill.map((chunk) => chunk.tokenIds.length)).toEqual(
      prefill.map((_, index) => Math.min(16, prompt.length - index * 16)),
    );
    expect(prefill.map((chunk) => chunk.wantLogits)).toEqual(prefill.map((_, index) => index === prefill.length - 1));
    expect(prefill.flatMap((chunk) => chunk.tokenIds)).toEqual(prompt);
    expect(chunks.slice(prefill.length).map((chunk) => chunk.tokenIds.length)).toEqual([1, 1]);
  });

  it('keeps decoding running sequences in every step while a long prompt is prefilled', async () => {
    const { engine, runner } = makeEngine({ limits: { prefillChunkTokens: 8, maxTokensPerStep: 16 } });
    let long: Promise<Collected> | undefined;
    const short = await collect(engine.generate(request('Hi', { maxTokens: 80 })), (event) => {
      if (event.type === 'delta' && long === undefined)
        long = collect(engine.generate(request(LONG_TEXT, { maxTokens: 4 })));
    });
    await long;
    const [shortId, longId] = runner.sequenceIds();
    const longPrompt = (await promptTokens(engine, LONG_TEXT)).length;
    const prefillSteps = runner.forwards.filter((event) =>
      event.chunks.some((chunk) => chunk.sequenceId === longId && chunk.start < longPrompt),
    );
    expect(prefillSteps.length).toBe(Math.ceil(longPrompt / 8));
    // Every step that prefilled the long prompt also advanced the running decode by one token.
    for (const event of prefillSteps)
      expect(event.chunks.find((chunk) => chunk.sequenceId === shortId)?.tokenIds).toHaveLength(1);
    expect(short.tokens[0]).toHaveLength(80);
    expect(
      Math.max(...runner.forwards.map((event) => event.chunks.reduce((sum, chunk) => sum + chunk.tokenIds.length, 0))),
    ).toBeLessThanOrEqual(16);
  });
});

describe('engine with a fake runner: early exits leave the batch at once', () => {
  /** Runs `early` beside a long-running request; returns the early sequence's steps and the events. */
  async function besideLongRequest(
    options: EngineOptions,
    early: GenerationRequest,
  ): Promise<{ runner: FakeModelRunner; result: Collected; earlyId: number; longId: number }> {
    const { engine, runner } = makeEngine(options);
    let first: Promise<Collected> | undefined;
    const longRun = collect(engine.generate(request(LONG_TEXT, { maxTokens: 40 })), (event) => {
      if (event.type === 'delta' && first === undefined) first = collect(engine.generate(early));
    });
    await longRun;
    const result = await first!;
    const [longId, earlyId] = runner.sequenceIds();
    expect(engine.stats().running).toBe(0);
    expect(engine.stats().kvBytesUsed).toBe(0);
    return { runner, result, earlyId: earlyId!, longId: longId! };
  }

  /** The sequence's release comes before the first forward after its last step, and it is never fed again. */
  function expectLeftAtOnce(runner: FakeModelRunner, sequenceId: number, longId: number): void {
    const steps = stepsOf(runner, sequenceId);
    const lastStep = steps[steps.length - 1]!;
    const releaseIndex = runner.events.findIndex(
      (event) => event.kind === 'release' && event.sequenceId === sequenceId,
    );
    const nextForwardIndex = runner.events.findIndex(
      (event) => event.kind === 'forward' && event.step === lastStep + 1,
    );
    expect(releaseIndex).toBeGreaterThanOrEqual(0);
    expect(nextForwardIndex).toBeGreaterThan(releaseIndex);
    // The batch went on without it.
    expect(stepsOf(runner, longId).some((step) => step > lastStep)).toBe(true);
  }

  it('on a stop string', async () => {
    // Learn the text the fake model writes for this prompt, then stop on a piece of it.
    const { engine, runner } = makeEngine();
    const probe = await collect(engine.generate(request('Name a lens.', { maxTokens: 12 })));
    const text = probe.text[0]!;
    const stop = text.slice(4, 6);
    const cut = text.indexOf(stop);
    await engine.close();
    expect(runner.problems).toEqual([]);
    open.splice(0);

    const {
      runner: batched,
      result,
      earlyId,
      longId,
    } = await besideLongRequest({}, request('Name a lens.', { maxTokens: 12, stop: [stop] }));
    expect(result.text[0]).toBe(text.slice(0, cut));
    expect(result.finishes).toEqual([{ type: 'finish', choice: 0, reason: 'stop' }]);
    // One letter per token: the sequence generated exactly up to the end of the stop string.
    expect(result.usage?.completionTokens).toBe(cut + stop.length);
    expect(stepsOf(batched, earlyId)).toHaveLength(cut + stop.length);
    expectLeftAtOnce(batched, earlyId, longId);
  });

  it('on EOS, counting the EOS token in usage and in the stats', async () => {
    let earlyPrompt: number[] = [];
    const nextToken = (history: readonly number[]) =>
      history.length === earlyPrompt.length + 3 && earlyPrompt.every((token, index) => history[index] === token)
        ? EOS
        : undefined;
    const { engine: tokenizing } = makeEngine();
    earlyPrompt = await promptTokens(tokenizing, 'Name a lens.');
    const { runner, result, earlyId, longId } = await besideLongRequest(
      { runner: { nextToken: (history) => nextToken(history) ?? 64 + (history.length % 26) } },
      request('Name a lens.', { maxTokens: 12, ignoreEos: false }),
    );
    expect(result.tokens[0]).toHaveLength(3);
    expect(result.finishes[0]?.reason).toBe('stop');
    expect(result.usage?.completionTokens).toBe(4);
    expect(stepsOf(runner, earlyId)).toHaveLength(4);
    expectLeftAtOnce(runner, earlyId, longId);
    const engine = open[open.length - 1]!.engine;
    // 40 tokens of the long request + 4 of the early one (its EOS included), as usage reports.
    expect(engine.stats().generatedTokens).toBe(44);
  });

  it('on a constrained choice completed by its first token', async () => {
    const choices = ['yes', 'no'];
    expect(choices.every((choice) => tokenizer.encodeText(choice).length === 1)).toBe(true);
    const { runner, result, earlyId, longId } = await besideLongRequest(
      {},
      request('Is this a close-up?', { choices, maxTokens: 5 }),
    );
    expect(choices).toContain(result.text[0]);
    expect(result.finishes[0]?.reason).toBe('stop');
    expect(Object.keys(result.finishes[0]?.choiceProbabilities ?? {})).toEqual(choices);
    // Prefill only: the one generated token is never fed back.
    expect(runner.chunksOf(earlyId).every((chunk) => chunk.tokenIds.length > 1 || chunk.start === 0)).toBe(true);
    expect(stepsOf(runner, earlyId)).toHaveLength(1);
    expectLeftAtOnce(runner, earlyId, longId);
  });
});

describe('engine with a fake runner: prefix reuse', () => {
  it('n > 1 prefills the prompt once; the other choices restore it in one step', async () => {
    const { engine, runner } = makeEngine();
    const prompt = await promptTokens(engine, LONG_TEXT);
    const result = await collect(engine.generate(request(LONG_TEXT, { n: 3, maxTokens: 5 })));
    expect(result.tokens).toHaveLength(3);
    expect(result.tokens[1]).toEqual(result.tokens[0]);
    const ids = runner.sequenceIds();
    expect(ids).toHaveLength(3);
    const restoreLength = Math.min(Math.floor(prompt.length / BLOCK) * BLOCK, prompt.length - 1);
    const restores = runner.events.filter((event) => event.kind === 'restorePrefix');
    expect(restores.map((event) => event.kind === 'restorePrefix' && event.length)).toEqual([
      restoreLength,
      restoreLength,
    ]);
    const full = ids.filter((id) => runner.chunksOf(id)[0]?.start === 0);
    expect(full).toHaveLength(1);
    for (const id of ids.filter((other) => other !== full[0]))
      expect(prefillFed(runner, id, prompt.length)).toBe(prompt.length - restoreLength);
    // Both followers were restored together (between the same two forward steps).
    const stepBefore = (index: number) =>
      runner.events.slice(0, index).filter((event) => event.kind === 'forward').length;
    const restoreIndexes = runner.events.flatMap((event, index) => (event.kind === 'restorePrefix' ? [index] : []));
    expect(new Set(restoreIndexes.map(stepBefore)).size).toBe(1);
    const stats = engine.stats();
    expect([stats.prefixCacheQueries, stats.prefixCacheHits]).toEqual([3, 2]);
  });

  it('two requests about the same long prompt (same cache salt) run the prompt once', async () => {
    const { engine, runner } = makeEngine({ limits: { prefillChunkTokens: 16, maxTokensPerStep: 32 } });
    const prompt = await promptTokens(engine, LONG_TEXT);
    const [first, second] = await Promise.all(
      [0, 1].map(() => collect(engine.generate(request(LONG_TEXT, { maxTokens: 4 }, { cacheSalt: 'tenant-a' })))),
    );
    expect(second!.tokens).toEqual(first!.tokens);
    const [leader, follower] = runner.sequenceIds();
    expect(prefillFed(runner, leader!, prompt.length)).toBe(prompt.length);
    expect(prefillFed(runner, follower!, prompt.length)).toBeLessThan(BLOCK);
    expect(second!.usage?.cachedTokens).toBeGreaterThan(prompt.length - BLOCK);
    expect(engine.stats().prefixCacheHits).toBe(1);
  });

  it('requests with different cache salts never share a prefix', async () => {
    const { engine, runner } = makeEngine();
    const prompt = await promptTokens(engine, LONG_TEXT);
    const concurrent = await Promise.all(
      ['tenant-a', 'tenant-b'].map((cacheSalt) =>
        collect(engine.generate(request(LONG_TEXT, { maxTokens: 3 }, { cacheSalt }))),
      ),
    );
    const afterwards = await collect(engine.generate(request(LONG_TEXT, { maxTokens: 3 }, { cacheSalt: 'tenant-c' })));
    const unsalted = await collect(engine.generate(request(LONG_TEXT, { maxTokens: 3 })));
    expect(runner.events.some((event) => event.kind === 'restorePrefix')).toBe(false);
    for (const id of runner.sequenceIds()) expect(prefillFed(runner, id, prompt.length)).toBe(prompt.length);
    for (const result of [...concurrent, afterwards, unsalted]) expect(result.usage?.cachedTokens).toBe(0);
    // Same salt again: now it hits.
    const again = await collect(engine.generate(request(LONG_TEXT, { maxTokens: 3 }, { cacheSalt: 'tenant-b' })));
    expect(again.usage?.cachedTokens).toBeGreaterThan(0);
    expect(again.tokens).toEqual(concurrent[1]!.tokens);
  });
});

describe('engine with a fake runner: abort', () => {
  it('frees the KV of a running request: runner release, no running sequence, no reserved bytes', async () => {
    const { engine, runner } = makeEngine();
    const controller = new AbortController();
    let deltas = 0;
    const result = await collect(
      engine.generate(request('Hi', { maxTokens: 500 }, { signal: controller.signal })),
      (event) => {
        if (event.type === 'delta' && ++deltas === 3) controller.abort();
      },
    );
    expect(result.finishes).toEqual([{ type: 'finish', choice: 0, reason: 'abort' }]);
    await waitFor(() => runner.events.some((event) => event.kind === 'release'), 'the release');
    const [id] = runner.sequenceIds();
    expect(runner.caches.has(id!)).toBe(false);
    const stepsAfterAbort = stepsOf(runner, id!).length;
    expect(stepsAfterAbort).toBeLessThanOrEqual(4);
    const stats = engine.stats();
    expect([
      stats.running,
      stats.waiting,
      stats.kvBytesUsed,
      stats.abortedRequests,
      stats.finishedRequests.abort,
    ]).toEqual([0, 0, 0, 1, 1]);
  });

  it('a sequence aborted while its step runs is not fed again and is released after the step', async () => {
    const hold = gate();
    const { engine, runner } = makeEngine({ runner: { beforeForward: () => hold.wait() } });
    const controller = new AbortController();
    const other = collect(engine.generate(request('Hello there', { maxTokens: 10 })));
    let deltas = 0;
    const aborted = collect(
      engine.generate(request('Hi', { maxTokens: 500 }, { signal: controller.signal })),
      (event) => {
        if (event.type === 'delta' && ++deltas === 2) hold.close();
      },
    );
    await waitFor(() => deltas === 2, 'two tokens');
    const [, id] = runner.sequenceIds();
    const fedBefore = stepsOf(runner, id!).length;
    controller.abort();
    hold.open();
    await Promise.all([aborted, other]);
    await waitFor(
      () => runner.events.some((event) => event.kind === 'release' && event.sequenceId === id),
      'the release',
    );
    expect(stepsOf(runner, id!).length).toBeLessThanOrEqual(fedBefore + 1);
    expect(engine.stats().kvBytesUsed).toBe(0);
  });

  it('an aborted waiting request never reaches the model and frees its queue place', async () => {
    const hold = gate();
    const { engine, runner } = makeEngine({
      limits: { maxRunningSequences: 1 },
      runner: { beforeForward: () => hold.wait() },
    });
    hold.close();
    const running = collect(engine.generate(request('Hi', { maxTokens: 3 })));
    const controller = new AbortController();
    const waiting = collect(engine.generate(request('Hello there', { maxTokens: 3 }, { signal: controller.signal })));
    await waitFor(() => engine.stats().running === 1 && engine.stats().waiting === 1, 'one running and one waiting');
    controller.abort();
    expect(engine.stats().waiting).toBe(0);
    hold.open();
    const [, abortedResult] = await Promise.all([running, waiting]);
    expect(abortedResult.finishes[0]?.reason).toBe('abort');
    expect(runner.sequenceIds()).toHaveLength(1);
    expect(engine.stats().kvBytesUsed).toBe(0);
  });

  it('a reader that stops before its request is admitted leaves no work behind', async () => {
    const { engine, runner } = makeEngine();
    const iterator = engine.generate(request(LONG_TEXT, { maxTokens: 50 }))[Symbol.asyncIterator]();
    await iterator.return?.();
    await sleep(30);
    expect(runner.forwards).toHaveLength(0);
    const stats = engine.stats();
    expect([stats.running, stats.waiting, stats.kvBytesUsed]).toEqual([0, 0, 0]);
  });

  it('a request still being prepared when the engine closes fails instead of hanging', async () => {
    const { engine } = makeEngine();
    const pending = collect(engine.generate(request('Hi'))).catch((error: unknown) => error);
    await engine.close();
    const outcome = await Promise.race([pending, sleep(500).then(() => 'hung')]);
    expect(outcome).toBeInstanceOf(EngineError);
    expect((outcome as EngineError).code).toBe('draining');
  });
});

describe('engine with a fake runner: overload and budgets', () => {
  it('rejects at once with overloaded and a retry-after hint when the waiting queue is full', async () => {
    const hold = gate();
    const { engine } = makeEngine({
      limits: { maxRunningSequences: 1, maxWaitingSequences: 2 },
      runner: { beforeForward: () => hold.wait() },
    });
    hold.close();
    const accepted = [collect(engine.generate(request('Hi', { maxTokens: 2 })))];
    await waitFor(() => engine.stats().running === 1, 'the first request running');
    accepted.push(
      collect(engine.generate(request('Hello', { maxTokens: 2 }))),
      collect(engine.generate(request('Hey', { maxTokens: 2 }))),
    );
    await waitFor(() => engine.stats().waiting === 2, 'two waiting');
    let thrown: unknown;
    try {
      engine.generate(request('One too many'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EngineError);
    expect((thrown as EngineError).code).toBe('overloaded');
    expect((thrown as EngineError).details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(engine.stats().rejectedRequests).toBe(1);
    hold.open();
    const results = await Promise.all(accepted);
    expect(results.map((result) => result.finishes[0]?.reason)).toEqual(['length', 'length', 'length']);
  });

  it('rejects with overloaded when the waiting prompt tokens would pass the bound', async () => {
    const hold = gate();
    const { engine } = makeEngine({
      limits: { maxRunningSequences: 1, maxWaitingTokens: 30 },
      runner: { beforeForward: () => hold.wait() },
    });
    hold.close();
    const first = collect(engine.generate(request('Hi', { maxTokens: 2 })));
    await waitFor(() => engine.stats().running === 1, 'the first request running');
    const second = collect(engine.generate(request('Hello', { maxTokens: 2 })));
    await waitFor(() => engine.stats().waiting === 1, 'one waiting');
    const error = await collect(engine.generate(request('Hey', { maxTokens: 2 }))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('overloaded');
    expect((error as EngineError).details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    hold.open();
    await Promise.all([first, second]);
    expect(engine.stats().rejectedRequests).toBe(1);
  });

  it('rejects a request that can never fit the KV budget, and nothing is reserved', async () => {
    const { engine, runner } = makeEngine({ limits: { kvTokenBudget: 64, maxTokensPerStep: 64 } });
    const error = await collect(engine.generate(request('Hi', { maxTokens: 100 }))).catch((caught: unknown) => caught);
    expect((error as EngineError).code).toBe('kv_budget_exceeded');
    expect(runner.forwards).toHaveLength(0);
    expect(engine.stats().kvBytesUsed).toBe(0);
    expect(engine.stats().rejectedRequests).toBe(1);
    expect((await collect(engine.generate(request('Hi', { maxTokens: 10 })))).tokens[0]).toHaveLength(10);
  });
});

describe('engine with a fake runner: stats', () => {
  /** Images as a tiny "preprocessor" sees them: the bytes pick the pixels, every image is 8x8 patches (16 tokens). */
  function imagePreprocessor(delayMs = 0): MediaPreprocessor & { calls: number } {
    const preprocessor = {
      calls: 0,
      contentKey: async (part: Parameters<MediaPreprocessor['contentKey']>[0]) =>
        part.source.kind === 'bytes' ? `bytes:${Array.from(part.source.bytes).join(',')}` : `${part.source.kind}`,
      preprocess: async (part: Parameters<MediaPreprocessor['preprocess']>[0], signal: AbortSignal | undefined) => {
        preprocessor.calls += 1;
        await sleep(delayMs, undefined, signal === undefined ? {} : { signal });
        const bytes = part.source.kind === 'bytes' ? part.source.bytes : new Uint8Array(1);
        const pixelValues = new Float32Array(64 * 3 * 2 * 14 * 14).map(
          (_, index) => bytes[index % bytes.length]! / 255,
        );
        return { pixelValues, gridThw: [1, 8, 8] as const, width: 112, height: 112 };
      },
    };
    return preprocessor;
  }
  const image = (seed: number): ContentPart => ({
    type: 'image',
    source: { kind: 'bytes', bytes: Uint8Array.of(seed, seed + 1, seed + 2) },
  });

  it('counts vision and prefix queries and hits; several questions about one image encode and prefill it once', async () => {
    const { engine, runner } = makeEngine({ preprocessor: imagePreprocessor() });
    const questions = ['What is the shot size?', 'What is the camera angle?', 'What is the lighting type?'];
    const results = await Promise.all(
      questions.map((question) =>
        collect(engine.generate(request([image(1), { type: 'text', text: question }], { maxTokens: 3 }))),
      ),
    );
    const other = await collect(
      engine.generate(request([image(7), { type: 'text', text: questions[0]! }], { maxTokens: 3 })),
    );
    expect(results.every((result) => result.tokens[0]?.length === 3)).toBe(true);
    expect(runner.events.filter((event) => event.kind === 'encodeVision')).toHaveLength(2);
    const pads = runner.forwards.flatMap((event) => event.chunks).reduce((sum, chunk) => sum + chunk.visionRows, 0);
    // 16 image tokens per image: the shared image reached the model once, the other image once.
    expect(pads).toBe(32);
    const stats = engine.stats();
    expect([stats.visionCacheQueries, stats.visionCacheHits]).toEqual([4, 2]);
    expect([stats.prefixCacheQueries, stats.prefixCacheHits]).toEqual([4, 2]);
    // One question leads (whichever is admitted first); the image's pads end at 31 and
    // <|vision_end|> completes the second block, so the others restore two whole blocks.
    expect(results.map((result) => result.usage?.cachedTokens).sort((a, b) => a! - b!)).toEqual([0, 32, 32]);
    // Another image changes the first block already (its first pad is at position 15).
    expect(other.usage?.cachedTokens).toBe(0);
  });

  it('an aborted request does not fail another one waiting for the same image', async () => {
    const preprocessor = imagePreprocessor(40);
    const { engine, runner } = makeEngine({ preprocessor });
    const controller = new AbortController();
    const aborted = collect(
      engine.generate(
        request([image(3), { type: 'text', text: 'Shot size?' }], { maxTokens: 2 }, { signal: controller.signal }),
      ),
    ).catch((error: unknown) => error);
    const survivor = collect(
      engine.generate(request([image(3), { type: 'text', text: 'Camera angle?' }], { maxTokens: 2 })),
    );
    await sleep(10);
    controller.abort();
    expect(await aborted).toMatchObject({ name: 'AbortError' });
    expect((await survivor).tokens[0]).toHaveLength(2);
    expect(preprocessor.calls).toBe(2);
    expect(runner.events.filter((event) => event.kind === 'encodeVision')).toHaveLength(1);
  });

  it('tokenize honours add_generation_prompt and counts an image from its grid without the vision encoder', async () => {
    const preprocessor = imagePreprocessor();
    const { engine, runner } = makeEngine({ preprocessor });
    const messages = request([image(2), { type: 'text', text: 'What is the shot size?' }]).messages;
    const withPrompt = await engine.tokenize({ messages, addGenerationPrompt: true });
    const withoutPrompt = await engine.tokenize({ messages, addGenerationPrompt: false });
    // '<|im_start|>assistant\n' is the generation prompt: three tokens.
    expect(withoutPrompt.tokens.length).toBeLessThan(withPrompt.tokens.length);
    expect(withPrompt.tokens.slice(0, withoutPrompt.tokens.length)).toEqual(withoutPrompt.tokens);
    // 8x8 patches merged 2x2: 16 image pads, though the encoder never ran.
    expect(withPrompt.tokens.filter((token) => token === config.tokens.imageTokenId)).toHaveLength(16);
    expect(runner.events.filter((event) => event.kind === 'encodeVision')).toHaveLength(0);
    expect(preprocessor.calls).toBe(2);
    // The count matches the prompt a generation runs.
    const result = await collect(
      engine.generate(request([image(2), { type: 'text', text: 'What is the shot size?' }])),
    );
    expect(result.usage?.promptTokens).toBe(withPrompt.tokens.length);
    expect(runner.events.filter((event) => event.kind === 'encodeVision')).toHaveLength(1);
  });

  it('counts prompt and generated tokens, finishes by reason, and latency samples', async () => {
    const { engine } = makeEngine();
    const controller = new AbortController();
    let deltas = 0;
    const results = await Promise.all([
      collect(engine.generate(request('Hi', { maxTokens: 4 }))),
      collect(engine.generate(request('Hello there', { maxTokens: 3, n: 2 }))),
      collect(engine.generate(request(LONG_TEXT, { maxTokens: 300 }, { signal: controller.signal })), (event) => {
        if (event.type === 'delta' && ++deltas === 5) controller.abort();
      }),
    ]);
    const stats = engine.stats();
    const prompts = await Promise.all(
      ['Hi', 'Hello there', LONG_TEXT].map(async (text) => (await promptTokens(engine, text)).length),
    );
    expect(stats.promptTokens).toBe(prompts.reduce((sum, value) => sum + value, 0));
    expect(stats.generatedTokens).toBe(4 + 6 + 5);
    expect(results.map((result) => result.usage?.completionTokens)).toEqual([4, 6, 5]);
    expect(stats.finishedRequests).toEqual({ stop: 0, length: 3, abort: 1 });
    expect(stats.abortedRequests).toBe(1);
    const samples = engine.takeLatencySamples();
    expect(samples.timeToFirstToken).toHaveLength(3);
    expect(samples.interTokenLatency).toHaveLength(4 + 6 + 5 - 3);
    expect(samples.endToEndLatency).toHaveLength(3);
    expect(
      [...samples.timeToFirstToken, ...samples.interTokenLatency, ...samples.endToEndLatency].every(
        (value) => value >= 0,
      ),
    ).toBe(true);
    expect(engine.takeLatencySamples()).toEqual({ timeToFirstToken: [], interTokenLatency: [], endToEndLatency: [] });
  });
});
