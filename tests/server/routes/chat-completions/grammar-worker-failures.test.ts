// What a client sees when the grammar worker fails, over HTTP with the tiny model and the real
// worker: a grammar too costly to compile within --grammar-compile-timeout is a 400 in OpenAI's
// error shape naming the request field (response_format, tools), and a worker that keeps crashing
// is a 503 with Retry-After while it backs off; /metrics counts the replacements.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InferenceEngine } from '../../../../src/runtime/engine/inference-engine.js';
import { buildApp } from '../../../../src/server/app.js';
import { MediaLoader } from '../../../../src/server/media/media-loader.js';
import { tinyEngine } from '../../../helpers/test-engine.js';
import { TINY_MODEL_ID } from '../../../helpers/tiny-model.js';
import { assertOpenAiShape } from '../../openai-schema.js';
import { testConfig } from '../../test-app.js';

/** Nested repetitions: each level multiplies the grammar by 20, so the compile takes minutes. */
const PATHOLOGICAL_PATTERN = '((([a-z]{20}){20}){20}){20}';
const SLOW_SCHEMA = { type: 'object', properties: { code: { type: 'string', pattern: PATHOLOGICAL_PATTERN } } };

describe('grammar worker failures over HTTP', () => {
  let engine: InferenceEngine;
  let dispose: () => Promise<void>;
  let app: FastifyInstance;

  beforeAll(async () => {
    ({ engine, dispose } = await tinyEngine({
      grammarTesting: { testHooks: true, backoff: { initialMs: 4_000, maxMs: 4_000 } },
      limits: { grammarCompileTimeoutMs: 2_000 },
    }));
    app = buildApp({ engine, config: testConfig(), mediaResolver: new MediaLoader() });
  });

  afterAll(async () => {
    await app?.close();
    await dispose?.();
  });

  const chat = (body: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: TINY_MODEL_ID, messages: [{ role: 'user', content: 'Code?' }], max_tokens: 8, ...body },
    });

  it.each([
    ['response_format', { response_format: { type: 'json_schema', json_schema: { name: 'c', schema: SLOW_SCHEMA } } }],
    [
      'tools',
      {
        tools: [{ type: 'function', function: { name: 'lookup', parameters: SLOW_SCHEMA } }],
        tool_choice: 'required',
      },
    ],
  ])('answers a grammar that compiles too long with a 400 naming %s', async (field, body) => {
    const response = await chat(body);
    expect(response.statusCode).toBe(400);
    const error = response.json();
    assertOpenAiShape('ErrorResponse', error);
    expect(error.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_request',
      param: field === 'tools' ? 'tools' : 'response_format.json_schema.schema',
    });
    expect(error.error.message).toMatch(/compiling the grammar took longer than 2 s/);
    // The replacement worker serves the next structured request.
    const next = await chat({ response_format: { type: 'json_object' } });
    expect(next.statusCode).toBe(200);
    expect(next.json().choices[0].message.content.startsWith('{')).toBe(true);
  });

  it('answers 503 with Retry-After while a crashing worker backs off, and counts the restarts', async () => {
    const grammars = engine.grammars!;
    const crashes = grammars.restarts.crash;
    grammars.injectFault('crash');
    await until(() => grammars.restarts.crash === crashes + 1);
    // The replacement crashes before it answers anything: the next start waits out the backoff.
    grammars.injectFault('crash');
    await until(() => grammars.restarts.crash === crashes + 2);
    const response = await chat({ response_format: { type: 'json_object' } });
    expect(response.statusCode).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const error = response.json();
    assertOpenAiShape('ErrorResponse', error);
    expect(error.error).toMatchObject({ type: 'server_error', code: 'grammar_unavailable', param: 'response_format' });
    // Unconstrained requests are not affected.
    expect((await chat({})).statusCode).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/shotvl:grammar_worker_restarts_total\{[^}]*reason="crash"[^}]*\} 2/);
    expect(metrics.body).toMatch(/shotvl:grammar_worker_restarts_total\{[^}]*reason="timeout"[^}]*\} 2/);
  });
});

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
