// The web page's routes: index.html and hashed assets from a build folder with the caching and CSP
// headers, precompressed twins for browsers that accept them, /ui/config.json telling the page
// whether a key is needed, the API's own 404 for everything else, and nothing at all with --no-ui.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../../src/server/app.js';
import { UI_CONTENT_SECURITY_POLICY } from '../../../../src/server/routes/ui/route.js';
import { FakeEngine } from '../../fake-engine.js';
import { FakeMediaResolver } from '../../fake-media-resolver.js';
import { testConfig } from '../../test-app.js';

const SCRIPT = 'console.log("page");\n'.repeat(50);
const INDEX = '<!doctype html><script type="module" src="/assets/app-ABCDEFGH.js"></script>';
let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'shotvl-ui-test-'));
  mkdirSync(join(folder, 'assets'));
  writeFileSync(join(folder, 'index.html'), INDEX);
  writeFileSync(join(folder, 'assets', 'app-ABCDEFGH.js'), SCRIPT);
  writeFileSync(join(folder, 'index.html.gz'), gzipSync(INDEX));
  writeFileSync(join(folder, 'assets', 'app-ABCDEFGH.js.gz'), gzipSync(SCRIPT));
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

function app(argv: string[] = [], uiDirectory = folder) {
  return buildApp({
    engine: new FakeEngine(),
    config: testConfig(argv),
    mediaResolver: new FakeMediaResolver(),
    uiDirectory,
  });
}

describe('web page routes', () => {
  it('serves index.html at / with no-cache and a strict CSP, and hashed assets as immutable', async () => {
    const server = app();
    const page = await server.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(UI_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(UI_CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toBe(INDEX);
    // What a browser sends: the index's compressed twin.
    const compressedPage = await server.inject({ method: 'GET', url: '/', headers: { 'accept-encoding': 'gzip, br' } });
    expect(compressedPage.statusCode).toBe(200);
    expect(compressedPage.headers['content-encoding']).toBe('gzip');
    expect(compressedPage.headers['cache-control']).toBe('no-cache');

    const script = await server.inject({ method: 'GET', url: '/assets/app-ABCDEFGH.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe(SCRIPT);

    const compressed = await server.inject({
      method: 'GET',
      url: '/assets/app-ABCDEFGH.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(compressed.headers['content-encoding']).toBe('gzip');
    expect(compressed.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(compressed.headers['content-security-policy']).toBe(UI_CONTENT_SECURITY_POLICY);
    expect(compressed.rawPayload.length).toBeLessThan(SCRIPT.length);
    // The twins get no routes of their own.
    expect((await server.inject({ method: 'GET', url: '/assets/app-ABCDEFGH.js.gz' })).statusCode).toBe(404);
    await server.close();
  });

  it('keeps the API 404 envelope for other paths', async () => {
    const server = app();
    const missing = await server.inject({ method: 'GET', url: '/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'unknown_url' } });
    await server.close();
  });

  it('tells the page whether a key is needed, without one, and serves the page without one', async () => {
    const open = app();
    const openConfig = await open.inject({ method: 'GET', url: '/ui/config.json' });
    expect(openConfig.json()).toMatchObject({ api_key_required: false, model: 'Vchitect/ShotVL-3B' });
    expect(openConfig.headers['cache-control']).toBe('no-store');
    await open.close();

    const keyed = app(['--api-key', 'secret']);
    const config = await keyed.inject({ method: 'GET', url: '/ui/config.json' });
    expect(config.statusCode).toBe(200);
    expect(config.json()).toMatchObject({ api_key_required: true, max_upload_bytes: 64 * 1024 * 1024 });
    expect(config.body).not.toContain('secret');
    expect((await keyed.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    expect((await keyed.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
    await keyed.close();
  });

  it('serves nothing with --no-ui', async () => {
    const server = app(['--no-ui']);
    expect((await server.inject({ method: 'GET', url: '/' })).statusCode).toBe(404);
    expect((await server.inject({ method: 'GET', url: '/ui/config.json' })).statusCode).toBe(404);
    await server.close();
  });

  it('serves the API alone when the page was not built', async () => {
    const server = app([], join(folder, 'not-built'));
    expect((await server.inject({ method: 'GET', url: '/' })).statusCode).toBe(404);
    expect((await server.inject({ method: 'GET', url: '/ui/config.json' })).statusCode).toBe(200);
    await server.close();
  });
});
