import { describe, expect, it } from 'vitest';
import type { EngineState } from '../../../../src/runtime/engine/engine-api.js';
import { buildApp } from '../../../../src/server/app.js';
import type { ServerState } from '../../../../src/server/route-context.js';
import { FakeEngine } from '../../fake-engine.js';
import { createTestApp, testConfig } from '../../test-app.js';

/** An app whose draining flag the test flips, as stopServer does on SIGTERM. */
function appWithState(): { app: ReturnType<typeof buildApp>; state: ServerState } {
  const state: ServerState = { draining: false };
  return { app: buildApp({ engine: new FakeEngine(), config: testConfig(), state }), state };
}

describe('GET /health (readiness)', () => {
  it.each([
    ['ready', 200],
    ['loading', 503],
    ['draining', 503],
    ['stopped', 503],
    ['failed', 503],
  ] as [EngineState, number][])('answers %s with %i, and Retry-After on 503', async (state, status) => {
    const { app, engine } = createTestApp({ argv: ['--api-key', 'k'] });
    engine.setState(state);
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ status: state });
    expect(response.headers['retry-after']).toBe(status === 503 ? '5' : undefined);
    await app.close();
  });

  it('turns 503 draining as soon as the server starts draining, while the engine is still ready', async () => {
    const { app, state } = appWithState();
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    state.draining = true;
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'draining' });
    await app.close();
  });
});

describe('GET /health/live (liveness)', () => {
  it.each([
    ['ready', 200],
    ['loading', 200],
    ['draining', 200],
    ['stopped', 503],
    ['failed', 503],
  ] as [EngineState, number][])('answers %s with %i', async (state, status) => {
    const { app, engine } = createTestApp({ argv: ['--api-key', 'k'] });
    engine.setState(state);
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ status: state });
    await app.close();
  });

  it('stays 200 while the server drains, so a liveness probe does not cut the drain short', async () => {
    const { app, state } = appWithState();
    state.draining = true;
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'draining' });
    await app.close();
  });
});
