import { describe, expect, it } from 'vitest';
import type { EngineState } from '../../../../src/runtime/engine/engine-api.js';
import { createTestApp } from '../../test-app.js';

describe('GET /health', () => {
  it.each([
    ['ready', 200],
    ['loading', 503],
    ['draining', 503],
    ['stopped', 503],
    ['failed', 503],
  ] as [EngineState, number][])('answers %s with %i', async (state, status) => {
    const { app, engine } = createTestApp({ argv: ['--api-key', 'k'] });
    engine.setState(state);
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ status: state });
    await app.close();
  });
});
