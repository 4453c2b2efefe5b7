// Large JSON bodies are parsed in a worker thread (issue 17) with the same outcomes as Fastify's own
// parser: a valid body is served, malformed JSON and prototype poisoning are 400, and a body whose
// text or structured-choice strings are over the limits is refused there with the right param.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LARGE_JSON_BYTES } from '../../../src/server/json/large-json-parser.js';
import { createTestApp, userMessage, type TestApp } from '../test-app.js';

let test: TestApp;
const padding = 'x'.repeat(LARGE_JSON_BYTES + 1024);

beforeAll(() => {
  test = createTestApp();
});
afterAll(() => test.app.close());

async function post(payload: string) {
  const response = await test.app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    payload,
  });
  return { status: response.statusCode, error: response.statusCode === 200 ? undefined : response.json().error };
}

describe('large JSON bodies', () => {
  it('serves a valid one', async () => {
    const body = JSON.stringify({ messages: [userMessage('Describe the shot.')], user: padding });
    expect(body.length).toBeGreaterThan(LARGE_JSON_BYTES);
    expect((await post(body)).status).toBe(200);
  });

  it('answers malformed JSON and prototype poisoning with 400', async () => {
    expect(await post(`{"messages": [${padding}`)).toMatchObject({ status: 400, error: { code: 'invalid_json' } });
    const poisoned = `{"messages": [{"role": "user", "content": "hi"}], "__proto__": {"x": 1}, "user": "${padding}"}`;
    expect((await post(poisoned)).status).toBe(400);
  });

  it('refuses over-long text and choice lists by their size, naming the field', async () => {
    const text = JSON.stringify({ messages: [userMessage(`${padding} words`)] });
    expect(await post(text)).toMatchObject({
      status: 400,
      error: { code: 'context_length_exceeded', param: 'messages' },
    });
    const long = JSON.stringify({ messages: [userMessage('Pick.')], guided_choice: ['a', padding] });
    expect(await post(long)).toMatchObject({ status: 400, error: { param: 'guided_choice[1]' } });
    const many = JSON.stringify({
      messages: [userMessage('Pick.')],
      structured_outputs: { choice: Array.from({ length: 2000 }, (_, index) => `${index}${'y'.repeat(600)}`) },
    });
    expect(await post(many)).toMatchObject({ status: 400, error: { param: 'structured_outputs.choice' } });
  });
});
