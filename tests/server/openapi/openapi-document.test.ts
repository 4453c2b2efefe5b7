// openapi.yaml is generated from the route schemas: the committed file must equal a fresh build,
// describe every route the app serves, and describe what the routes actually answer.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildOpenApiYaml } from '../../../src/server/openapi/build-openapi.js';
import { ROUTE_SPECS } from '../../../src/server/routes/route-specs.js';
import { assertOpenAiShape } from '../openai-schema.js';
import { createTestApp } from '../test-app.js';

const committed = readFileSync(new URL('../../../openapi.yaml', import.meta.url), 'utf8');

describe('openapi.yaml', () => {
  it('equals a fresh build (run: npx tsx src/server/openapi/build-openapi.ts > openapi.yaml)', () => {
    expect(committed).toBe(buildOpenApiYaml());
  });

  it('lists every route, and the app serves every listed route', async () => {
    const document = parse(committed) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths).sort()).toEqual([...new Set(ROUTE_SPECS.map((spec) => spec.url))].sort());
    const { app } = createTestApp();
    await app.ready();
    for (const spec of ROUTE_SPECS) {
      expect(app.hasRoute({ method: spec.method, url: spec.url }), `${spec.method} ${spec.url}`).toBe(true);
      expect(document.paths[spec.url]).toHaveProperty(spec.method.toLowerCase());
    }
    await app.close();
  });

  it("describes the server's real answers", async () => {
    const document = parse(committed) as { components: { schemas: Record<string, unknown> } };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'ours', components: document.components });
    const check = (name: string, value: unknown) => {
      const validate = ajv.getSchema(`ours#/components/schemas/${name}`);
      if (validate === undefined) throw new Error(`no ${name}`);
      expect(validate(value), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    };
    const { app } = createTestApp();
    const messages = [{ role: 'user', content: 'x' }];
    check(
      'CreateChatCompletionResponse',
      (
        await app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          payload: { messages, logprobs: true, top_logprobs: 1 },
        })
      ).json(),
    );
    check('ListModelsResponse', (await app.inject({ method: 'GET', url: '/v1/models' })).json());
    check('ErrorResponse', (await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} })).json());
    check(
      'TokenizeResponse',
      (await app.inject({ method: 'POST', url: '/tokenize', payload: { prompt: 'a b' } })).json(),
    );
    check('CreateChatCompletionRequest', {
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'data:,' }] }],
      n: 2,
    });
    await app.close();
  });
});

describe('the OpenAI schema check used by these tests', () => {
  it('rejects what OpenAI would not send', () => {
    expect(() =>
      assertOpenAiShape('CreateChatCompletionResponse', {
        id: 'x',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0 }],
      }),
    ).toThrow(/mismatch/);
    expect(() =>
      assertOpenAiShape('ErrorResponse', { error: { message: 'm', type: 't', param: null, code: 400 } }),
    ).toThrow(/mismatch/);
    expect(() =>
      assertOpenAiShape('CreateChatCompletionStreamResponse', {
        id: 'x',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [],
      }),
    ).toThrow(/mismatch/);
  });
});
