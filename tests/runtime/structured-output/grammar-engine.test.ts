// Grammar-constrained decoding on the tiny model (random weights: only the grammar makes the output
// valid). Each request of a batch follows its own grammar; a grammar request decodes the same
// greedy tokens alone and batched with others; bad grammars fail with a typed error.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  GenerationEvent,
  GenerationRequest,
  GrammarSpec,
  SamplingOptions,
} from '../../../src/runtime/engine/engine-api.js';
import { EngineError } from '../../../src/runtime/engine/engine-errors.js';
import type { InferenceEngine } from '../../../src/runtime/engine/inference-engine.js';
import { tinyEngine } from '../../helpers/test-engine.js';
import { greedySampling } from '../../helpers/greedy-sampling.js';

/** Greedy, and stops at EOS: a constrained answer ends where its grammar lets it. */
const greedy: SamplingOptions = greedySampling(48, { ignoreEos: false });

const SHOT_SCHEMA = {
  type: 'object',
  properties: {
    shot_size: { enum: ['wide', 'medium', 'close-up'] },
    confidence: { type: 'integer', minimum: 0, maximum: 100 },
  },
  required: ['shot_size', 'confidence'],
  additionalProperties: false,
};

function request(text: string, grammar?: GrammarSpec, sampling: Partial<SamplingOptions> = {}): GenerationRequest {
  return {
    requestId: text,
    messages: [{ role: 'user', content: text }],
    sampling: {
      ...greedy,
      ...sampling,
      ...(grammar === undefined ? {} : { structuredOutput: { grammar, param: 'test' } }),
    },
  };
}

async function run(
  events: AsyncIterable<GenerationEvent>,
): Promise<{ text: string; tokens: number[]; finish: string }> {
  let text = '';
  const tokens: number[] = [];
  let finish = '';
  for await (const event of events) {
    if (event.type === 'delta') {
      text += event.text;
      tokens.push(...event.tokenIds);
    } else if (event.type === 'finish') finish = event.reason;
  }
  return { text, tokens, finish };
}

describe('grammar-constrained decoding on tiny-a', () => {
  let engine: InferenceEngine;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ engine, dispose } = await tinyEngine());
  });

  afterAll(async () => dispose?.());

  it('follows a JSON schema and ends with stop when the grammar is complete', async () => {
    const result = await run(
      engine.generate(request('Describe the shot.', { kind: 'json_schema', schema: SHOT_SCHEMA })),
    );
    expect(result.finish).toBe('stop');
    const value = JSON.parse(result.text) as unknown;
    expect(new Ajv2020().validate(SHOT_SCHEMA, value)).toBe(true);
  });

  it('follows a regex and an EBNF grammar', async () => {
    const regex = await run(
      engine.generate(request('A date?', { kind: 'regex', pattern: '20[0-9]{2}-(0[1-9]|1[0-2])' })),
    );
    expect(regex.text).toMatch(/^20[0-9]{2}-(0[1-9]|1[0-2])$/);
    expect(regex.finish).toBe('stop');
    const ebnf = await run(
      engine.generate(request('Yes or no?', { kind: 'ebnf', grammar: 'root ::= ("yes" | "no") " " [a-z]{1,3} "."' })),
    );
    expect(ebnf.text).toMatch(/^(yes|no) [a-z]{1,3}\.$/);
  });

  it('decodes different grammars and none in one batch, each as it would alone', async () => {
    const requests = [
      request('One.', { kind: 'json_schema', schema: SHOT_SCHEMA }),
      request('Two.'),
      request('Three.', { kind: 'regex', pattern: '[A-Z][a-z]{2,5}( [a-z]{2,5}){0,3}\\.' }),
      request('Four.', { kind: 'json_object' }, { maxTokens: 24 }),
    ];
    const alone = [];
    for (const item of requests) alone.push(await run(engine.generate(item)));
    const together = await Promise.all(requests.map((item) => run(engine.generate(item))));
    expect(together.map((result) => result.tokens)).toEqual(alone.map((result) => result.tokens));
    expect(JSON.parse(together[0]!.text)).toMatchObject({ shot_size: expect.any(String) });
    expect(together[2]!.text).toMatch(/^[A-Z][a-z]{2,5}( [a-z]{2,5}){0,3}\.$/);
    expect(together[3]!.text.startsWith('{')).toBe(true);
  });

  it('rejects an invalid grammar and an unsupported schema keyword with a typed error', async () => {
    await expect(run(engine.generate(request('x', { kind: 'ebnf', grammar: 'root ::= missing' })))).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof EngineError && error.code === 'invalid_request' && /missing/.test(error.message),
    );
    await expect(
      run(engine.generate(request('x', { kind: 'json_schema', schema: { type: 'object', not: { required: ['a'] } } }))),
    ).rejects.toSatisfy((error: unknown) => error instanceof EngineError && /'not'/.test(error.message));
    // The engine keeps serving after a bad grammar.
    const after = await run(engine.generate(request('Again.', { kind: 'json_schema', schema: SHOT_SCHEMA })));
    expect(after.finish).toBe('stop');
  });
});
