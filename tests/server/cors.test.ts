import { describe, expect, it } from 'vitest';
import { createTestApp } from './test-app.js';

describe('CORS', () => {
  it('is off by default', async () => {
    const { app } = createTestApp();
    const response = await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://a.example' } });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });

  it('answers preflights before auth and marks responses for listed origins only', async () => {
    const { app } = createTestApp({ argv: ['--cors-origins', 'https://a.example', '--api-key', 'k'] });
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/chat/completions',
      headers: {
        origin: 'https://a.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://a.example');
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization, content-type');
    const denied = await app.inject({ method: 'GET', url: '/v1/models', headers: { origin: 'https://a.example' } });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['access-control-allow-origin']).toBe('https://a.example');
    const other = await app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });
});
