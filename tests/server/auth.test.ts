// API key: required on /v1/*, /tokenize and /detokenize; /health, /metrics and the docs stay open.
import { describe, expect, it } from 'vitest';
import { createTestApp } from './test-app.js';

const KEY = 'sk-auth-0123456789abcdef';

describe('API key', () => {
  it.each([
    ['GET', '/v1/models'],
    ['POST', '/v1/chat/completions'],
    ['POST', '/tokenize'],
    ['POST', '/detokenize'],
  ])('guards %s %s', async (method, url) => {
    const { app } = createTestApp({ argv: ['--api-key', KEY] });
    for (const authorization of [
      undefined,
      '',
      'Bearer',
      `Bearer ${KEY}x`,
      `Bearer ${KEY.slice(0, -1)}`,
      `Token ${KEY}`,
      KEY,
    ]) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(response.statusCode, String(authorization)).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json().error).toEqual({
        message: "Missing or incorrect API key. Send it as 'Authorization: Bearer <key>'.",
        type: 'authentication_error',
        param: null,
        code: 'invalid_api_key',
      });
      expect(response.body).not.toContain(KEY.slice(3, 10));
    }
    await app.close();
  });

  it('accepts the key in any case of the scheme', async () => {
    const { app } = createTestApp({ argv: ['--api-key', KEY] });
    for (const authorization of [`Bearer ${KEY}`, `bearer ${KEY}`, `BEARER  ${KEY} `]) {
      expect((await app.inject({ method: 'GET', url: '/v1/models', headers: { authorization } })).statusCode).toBe(200);
    }
    await app.close();
  });

  it('leaves only health and metrics open; the documentation needs the key unless --public-docs', async () => {
    const { app } = createTestApp({ argv: ['--api-key', KEY] });
    for (const url of ['/health', '/metrics']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    const documentation = ['/openapi.yaml', '/docs', '/docs/json', '/docs/yaml', '/docs/static/swagger-ui-bundle.js'];
    for (const url of documentation) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(401);
      expect(response.json().error.code).toBe('invalid_api_key');
      const keyed = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${KEY}` } });
      expect(keyed.statusCode, url).toBe(200);
    }
    await app.close();
    const open = createTestApp({ argv: ['--api-key', KEY, '--public-docs'] }).app;
    for (const url of documentation) expect((await open.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    await open.close();
  });

  it('asks for nothing when no key is configured', async () => {
    const { app } = createTestApp();
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(200);
    await app.close();
  });
});
