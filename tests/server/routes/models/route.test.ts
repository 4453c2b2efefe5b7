import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../../fake-engine.js';
import { assertOpenAiShape } from '../../openai-schema.js';
import { createTestApp } from '../../test-app.js';

describe('GET /v1/models', () => {
  it("lists the served model with vLLM's fields", async () => {
    const { app } = createTestApp({
      engine: new FakeEngine({ maxModelLength: 32768 }),
      argv: ['--served-model-name', 'shotvl'],
    });
    const response = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    assertOpenAiShape('ListModelsResponse', body);
    expect(body).toEqual({
      object: 'list',
      data: [
        {
          id: 'shotvl',
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'shotvl',
          root: 'Vchitect/ShotVL-3B',
          parent: null,
          max_model_len: 32768,
        },
      ],
    });
    const completion = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'shotvl', messages: [{ role: 'user', content: 'x' }] },
    });
    expect(completion.json().model).toBe('shotvl');
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      payload: { model: 'Vchitect/ShotVL-3B', messages: [{ role: 'user', content: 'x' }] },
    });
    expect(wrong.statusCode).toBe(404);
    await app.close();
  });

  it('serves several aliases: lists each, the first first, and echoes the one a request used', async () => {
    const { app } = createTestApp({ argv: ['--served-model-name', 'shotvl, gpt-4o shotvl-3b'] });
    const list = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
    assertOpenAiShape('ListModelsResponse', list);
    expect(list.data.map((entry: { id: string }) => entry.id)).toEqual(['shotvl', 'gpt-4o', 'shotvl-3b']);
    const ask = async (model?: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        payload: { ...(model === undefined ? {} : { model }), messages: [{ role: 'user', content: 'x' }] },
      });
    expect((await ask('gpt-4o')).json().model).toBe('gpt-4o');
    expect((await ask()).json().model).toBe('shotvl');
    const tokenized = await app.inject({
      method: 'POST',
      url: '/tokenize',
      payload: { model: 'shotvl-3b', prompt: 'x' },
    });
    expect(tokenized.statusCode).toBe(200);
    const wrong = await ask('Vchitect/ShotVL-3B');
    expect(wrong.statusCode).toBe(404);
    expect(wrong.json().error.message).toBe(
      "The model 'Vchitect/ShotVL-3B' does not exist. This server serves 'shotvl, gpt-4o, shotvl-3b'.",
    );
    await app.close();
  });
});
