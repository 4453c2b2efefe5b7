// A client that disconnects aborts its generation (and its media fetches): with a real socket on
// port 0, the fake engine's running count returns to 0 long before the reply would have finished.
import { request as httpRequest, type ClientRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, stopServer, type RunningServer } from '../../src/server/lifecycle.js';
import { FakeEngine } from './fake-engine.js';
import { FakeMediaResolver } from './fake-media-resolver.js';
import { testConfig, userMessage } from './test-app.js';

const LONG_REPLY = Array.from({ length: 200 }, (_, index) => `word${index}`).join(' ');
let server: RunningServer;
let engine: FakeEngine;
let resolver: FakeMediaResolver;

beforeAll(async () => {
  engine = new FakeEngine({ reply: LONG_REPLY, tokenDelayMs: 20 });
  resolver = new FakeMediaResolver();
  server = await startServer({
    engine,
    config: testConfig(['--host', '127.0.0.1', '--port', '0']),
    mediaResolver: resolver,
  });
});

afterAll(() => stopServer(server, 500));

function post(body: unknown): { request: ClientRequest; firstBytes: Promise<void> } {
  const payload = JSON.stringify(body);
  const request = httpRequest({
    host: '127.0.0.1',
    port: server.port,
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  });
  const firstBytes = new Promise<void>((resolve, reject) => {
    request.on('response', (response) => response.once('data', () => resolve()));
    request.on('error', reject);
  });
  // Destroying the request rejects this; tests that do so never await it.
  firstBytes.catch(() => undefined);
  request.end(payload);
  return { request, firstBytes };
}

/** Polls until `condition` holds; the timeout is generous on purpose (a loaded machine), what counts is the outcome. */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('client disconnect', () => {
  it('aborts a streaming generation', async () => {
    const before = engine.stats().finishedRequests.abort;
    const generatedBefore = engine.stats().generatedTokens;
    const { request, firstBytes } = post({ messages: [userMessage('x')], stream: true });
    await firstBytes;
    expect(engine.running).toBe(1);
    request.destroy();
    await waitFor(() => engine.running === 0);
    // Ended by the abort, not by running out of its 200 tokens: counted as aborted, with fewer tokens.
    expect(engine.stats().finishedRequests.abort).toBe(before + 1);
    expect(engine.stats().generatedTokens - generatedBefore).toBeLessThan(200);
  });

  it('aborts a non-streaming generation', async () => {
    const before = engine.stats().finishedRequests.abort;
    const { request } = post({ messages: [userMessage('x')] });
    await waitFor(() => engine.running === 1);
    request.destroy();
    await waitFor(() => engine.running === 0);
    expect(engine.stats().finishedRequests.abort).toBe(before + 1);
  });

  it('aborts a media fetch in progress', async () => {
    const { request } = post({
      messages: [userMessage([{ type: 'image_url', image_url: 'https://slow.example/shot.png' }])],
    });
    await waitFor(() => resolver.resolved.length === 1);
    request.destroy();
    await waitFor(() => resolver.aborted === 1);
    expect(engine.requests).toHaveLength(2);
  });

  it('keeps serving other clients', async () => {
    engine.tokenDelayMs = 0;
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [userMessage('x')], max_tokens: 3 }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe('word0 word1 word2 ');
  });
});
