// POST /tokenize and POST /detokenize (vLLM's shapes).
import { describe, expect, it } from 'vitest';
import { createTestApp, PNG_DATA_URL } from '../../test-app.js';

describe('tokenize and detokenize', () => {
  it('tokenizes a prompt', async () => {
    const { app } = createTestApp();
    const response = await app.inject({
      method: 'POST',
      url: '/tokenize',
      payload: { model: 'Vchitect/ShotVL-3B', prompt: 'a wide shot' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ count: 3, max_model_len: 4096, tokens: [0, 1, 2] });
    await app.close();
  });

  it('tokenizes chat messages with their media, and releases the media', async () => {
    const { app, resolver } = createTestApp();
    const response = await app.inject({
      method: 'POST',
      url: '/tokenize',
      payload: {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: PNG_DATA_URL },
              { type: 'text', text: 'shot?' },
            ],
          },
        ],
        add_generation_prompt: true,
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().count).toBeGreaterThan(64);
    expect(resolver.released).toHaveLength(1);
    await app.close();
  });

  it('needs exactly one of prompt and messages, and the served model', async () => {
    const { app } = createTestApp();
    const neither = await app.inject({ method: 'POST', url: '/tokenize', payload: {} });
    expect(neither.json().error).toMatchObject({ code: 'invalid_request', param: 'prompt' });
    const wrongModel = await app.inject({ method: 'POST', url: '/tokenize', payload: { model: 'other', prompt: 'x' } });
    expect(wrongModel.statusCode).toBe(404);
    await app.close();
  });

  it('detokenizes', async () => {
    const { app } = createTestApp();
    const response = await app.inject({ method: 'POST', url: '/detokenize', payload: { tokens: [1, 2] } });
    expect(response.json()).toEqual({ prompt: '<1><2>' });
    await app.close();
  });
});
