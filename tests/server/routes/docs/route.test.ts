// GET /openapi.yaml serves the repository's file; GET /docs serves Swagger UI from local assets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestApp } from '../../test-app.js';

describe('API documentation', () => {
  it('serves openapi.yaml and Swagger UI offline (open with --public-docs)', async () => {
    const { app } = createTestApp({ argv: ['--api-key', 'k', '--public-docs'] });
    const yaml = await app.inject({ method: 'GET', url: '/openapi.yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(yaml.body).toBe(readFileSync(new URL('../../../../openapi.yaml', import.meta.url), 'utf8'));

    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui-bundle.js');
    expect(page.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    const document = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(document.json()).toEqual(parse(yaml.body));
    await app.close();
  });
});
