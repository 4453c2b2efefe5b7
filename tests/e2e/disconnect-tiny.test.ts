// Issue 5 "Must show": a client that disconnects aborts its generation on the real engine. A raw
// socket client starts a long streaming request (500 tokens, EOS ignored: tens of seconds on the
// tiny model), hangs up after the first chunk, and within a second the engine runs nothing and
// holds no KV memory; the server then still answers a good request.
import { request as httpRequest, type ClientRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertOpenAiShape } from '../server/openai-schema.js';
import { goldenImageDataUrl, startLiveTinyServer, type LiveTinyServer } from './live-tiny-server.js';

let live: LiveTinyServer;

beforeAll(async () => {
  live = await startLiveTinyServer();
});

afterAll(async () => live?.close());

function longRequestBody(stream: boolean): unknown {
  return {
    model: live.modelId,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: goldenImageDataUrl() } },
          { type: 'text', text: 'Describe this shot at length.' },
        ],
      },
    ],
    max_tokens: 500,
    ignore_eos: true,
    temperature: 0,
    stream,
  };
}

/** POSTs over a plain socket; `firstBytes` resolves with the first body chunk. */
function post(body: unknown): { request: ClientRequest; firstBytes: Promise<string> } {
  const payload = JSON.stringify(body);
  const request = httpRequest({
    host: '127.0.0.1',
    port: live.server.port,
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
  });
  const firstBytes = new Promise<string>((resolve, reject) => {
    request.on('response', (response) => response.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
    request.on('error', reject);
  });
  // Destroying the request rejects this when no byte came yet; tests that do so never await it.
  firstBytes.catch(() => undefined);
  request.end(payload);
  return { request, firstBytes };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now() - started;
}

const idle = () => {
  const stats = live.engine.stats();
  return stats.running === 0 && stats.waiting === 0 && stats.kvBytesUsed === 0;
};

describe('client disconnect on the tiny model', () => {
  it('aborts a streaming generation after the first chunk and frees its KV memory', async () => {
    const abortedBefore = live.engine.stats().abortedRequests;
    const { request, firstBytes } = post(longRequestBody(true));
    const first = await firstBytes;
    expect(first).toMatch(/^data: \{/);
    const during = live.engine.stats();
    expect(during.running).toBe(1);
    expect(during.kvBytesUsed).toBeGreaterThan(0);
    request.destroy();
    // A generous wait (a loaded machine); that the abort ended it shows in the counts below.
    await waitFor(idle, 10_000);
    const after = live.engine.stats();
    expect(after.abortedRequests).toBe(abortedBefore + 1);
    // Far fewer than the 500 tokens asked for were generated.
    expect(after.generatedTokens).toBeLessThan(100);
  });

  it('aborts a non-streaming generation', async () => {
    const abortedBefore = live.engine.stats().abortedRequests;
    const { request } = post(longRequestBody(false));
    await waitFor(() => live.engine.stats().running === 1, 5000);
    request.destroy();
    await waitFor(idle, 10_000);
    expect(live.engine.stats().abortedRequests).toBe(abortedBefore + 1);
  });

  it('still answers a good request', async () => {
    const response = await fetch(`${live.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...(longRequestBody(false) as object), max_tokens: 3 }),
    });
    expect(response.status).toBe(200);
    const completion = (await response.json()) as { usage: { completion_tokens: number } };
    assertOpenAiShape('CreateChatCompletionResponse', completion);
    expect(completion.usage.completion_tokens).toBe(3);
    expect(idle()).toBe(true);
  });
});
