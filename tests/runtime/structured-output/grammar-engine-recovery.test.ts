// The engine on the tiny model when its grammar worker fails: a grammar request in flight on a
// crashed worker fails with grammar_unavailable while the unconstrained request batched with it
// finishes; a grammar that compiles past --grammar-compile-timeout fails alone as the request's
// fault; and grammar requests afterwards are served by a new worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationEvent, GenerationRequest, GrammarSpec } from '../../../src/runtime/engine/engine-api.js';
import { EngineError } from '../../../src/runtime/engine/engine-errors.js';
import type { InferenceEngine } from '../../../src/runtime/engine/inference-engine.js';
import { tinyEngine } from '../../helpers/test-engine.js';
import { greedySampling } from '../../helpers/greedy-sampling.js';

function request(text: string, grammar: GrammarSpec | undefined, maxTokens: number): GenerationRequest {
  return {
    requestId: text,
    messages: [{ role: 'user', content: text }],
    sampling: greedySampling(maxTokens, {
      ignoreEos: grammar === undefined,
      ...(grammar === undefined ? {} : { structuredOutput: { grammar, param: 'structured_outputs.regex' } }),
    }),
  };
}

async function run(
  events: AsyncIterable<GenerationEvent>,
  onFirstDelta: () => void = () => undefined,
): Promise<{ text: string; finish: string }> {
  let text = '';
  let finish = '';
  for await (const event of events) {
    if (event.type === 'delta') {
      if (text === '') onFirstDelta();
      text += event.text;
    } else if (event.type === 'finish') finish = event.reason;
  }
  return { text, finish };
}

function failureOf(error: unknown): { code: string; param: string | undefined } | unknown {
  return error instanceof EngineError ? { code: error.code, param: error.details.param } : error;
}

const LONG: GrammarSpec = { kind: 'regex', pattern: '[a-z]{400}' };
const PATHOLOGICAL: GrammarSpec = { kind: 'regex', pattern: '((([a-z]{20}){20}){20}){20}' };

describe('grammar worker failures on the tiny model', () => {
  let engine: InferenceEngine;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ engine, dispose } = await tinyEngine({
      grammarTesting: { testHooks: true },
      // Real compiles here take 0.1-0.5 s on a busy machine; the pathological one takes minutes.
      limits: { grammarCompileTimeoutMs: 2_000 },
    }));
  });

  afterAll(async () => dispose?.());

  it('fails the grammar request on a crashed worker alone; the next one gets a new worker', async () => {
    const grammars = engine.grammars!;
    const crashing = run(engine.generate(request('Spell.', LONG, 200)), () => grammars.injectFault('crash'));
    const plain = run(engine.generate(request('Talk.', undefined, 40)));
    expect(
      failureOf(
        await crashing.then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    ).toEqual({
      code: 'grammar_unavailable',
      param: 'structured_outputs.regex',
    });
    expect(await plain).toMatchObject({ finish: 'length' });
    const after = await run(engine.generate(request('Spell again.', { kind: 'regex', pattern: '[a-z]{5}' }, 20)));
    expect(after.text).toMatch(/^[a-z]{5}$/);
    expect(after.finish).toBe('stop');
    expect(engine.stats().grammarWorkerRestarts).toEqual({ crash: 1, timeout: 0 });
  });

  it('fails a grammar that compiles past the time limit as the request’s fault, and serves the next', async () => {
    const started = performance.now();
    const slow = run(engine.generate(request('Slow.', PATHOLOGICAL, 20)));
    const plain = run(engine.generate(request('Meanwhile.', undefined, 10)));
    const failure = await slow.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failureOf(failure)).toEqual({ code: 'invalid_request', param: 'structured_outputs.regex' });
    expect((failure as Error).message).toMatch(/longer than 2 s \(this server's --grammar-compile-timeout\)/);
    expect(performance.now() - started).toBeLessThan(6_000);
    expect(await plain).toMatchObject({ finish: 'length' });
    const after = await run(engine.generate(request('Next.', { kind: 'regex', pattern: '(yes|no)' }, 10)));
    expect(after.text).toMatch(/^(yes|no)$/);
    expect(engine.stats().grammarWorkerRestarts?.timeout).toBe(1);
  });
});
