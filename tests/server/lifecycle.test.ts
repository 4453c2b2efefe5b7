// SIGTERM-style shutdown with stopServer: new requests get 503 draining at once, /health turns
// 503, a short in-flight request finishes, a long one is aborted at the end of the grace period
// (its stream ends with an error event), and then the port is closed.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CLOSE_TIMEOUT_MS, startServer, stopServer } from '../../src/server/lifecycle.js';
import { FakeEngine } from './fake-engine.js';
import { capturingLogger } from './log-capture.js';
import { parseSse, testConfig, userMessage } from './test-app.js';

/** 300 tokens at 40 ms: 12 s, far longer than the grace period, however slow the machine. */
const LONG = Array.from({ length: 300 }, (_, index) => `w${index}`).join(' ');
const SHORT = 'one two three four five';

function chat(url: string, content: string, stream = false): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [userMessage(content)], stream }),
  });
}

/**
 * The drain's grace period in the first test: the checks made while draining (a refused request,
 * /health, /metrics) must all happen before it ends, which on a loaded 2-core machine took over
 * 600 ms; so it is generous, and the long reply longer still.
 */
const GRACE_MS = 4000;

describe('startServer / stopServer', () => {
  it('drains: 503 for new work, in-flight work finishes or is aborted after the grace period', async () => {
    const engine = new FakeEngine({
      tokenDelayMs: 40,
      reply: (request) => (JSON.stringify(request.messages).includes('long') ? LONG : SHORT),
    });
    const capture = capturingLogger('info');
    const server = await startServer({
      engine,
      config: testConfig(['--host', '127.0.0.1', '--port', '0', '--api-key', 'sk-never-logged']),
      logger: capture.logger,
    });
    const url = server.url;
    const headers = { authorization: 'Bearer sk-never-logged' };
    const chatWithKey = (content: string, stream = false) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [userMessage(content)], stream }),
      });

    const shortReply = chatWithKey('short');
    const longReply = chatWithKey('long', true);
    while (engine.running < 2) await sleep(5);

    const started = Date.now();
    const stopped = stopServer(server, GRACE_MS);
    const again = stopServer(server);
    expect(again).toBe(stopped);

    const refused = await chatWithKey('new');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.headers.get('connection')).toBe('close');
    expect(((await refused.json()) as { error: unknown }).error).toMatchObject({
      code: 'draining',
      type: 'server_error',
    });
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: 'draining' });
    expect((await fetch(`${url}/metrics`)).status).toBe(200);

    const short = await shortReply;
    expect(short.status).toBe(200);
    expect(((await short.json()) as { choices: unknown[] }).choices[0]).toMatchObject({
      message: { content: SHORT },
      finish_reason: 'stop',
    });

    const long = await longReply;
    expect(long.status).toBe(200);
    const { events, done } = parseSse(await long.text());
    expect(done).toBe(true);
    expect(events.at(-1)).toMatchObject({ error: { code: 'draining', type: 'server_error' } });

    await stopped;
    const elapsed = Date.now() - started;
    // Not before the grace period (the long stream ran until it), and without waiting out the close
    // timeout as well: the aborted stream ended its response, nothing had to be cut. Generous on
    // purpose above (a loaded machine stretches the abort and the close by seconds); the lower
    // bound is what a loaded machine cannot break.
    expect(elapsed).toBeGreaterThanOrEqual(GRACE_MS - 50);
    expect(elapsed).toBeLessThan(GRACE_MS + CLOSE_TIMEOUT_MS);
    expect(engine.running).toBe(0);
    await expect(chat(url, 'after')).rejects.toThrow();
    expect(capture.text()).not.toContain('sk-never-logged');
    expect(capture.lines.find((line) => line.msg === 'server configuration')).toMatchObject({
      config: { apiKey: 'set (redacted)', port: 0 },
    });
  });

  it('stops at once when nothing is running', async () => {
    const engine = new FakeEngine();
    const server = await startServer({ engine, config: testConfig(['--host', '127.0.0.1', '--port', '0']) });
    expect((await chat(server.url, 'x')).status).toBe(200);
    const started = Date.now();
    await stopServer(server, 60_000);
    // Nothing to wait for: stopped long before the minute of grace it was given (generous on purpose).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(engine.state()).toBe('draining');
  });
});
