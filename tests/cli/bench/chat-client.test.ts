import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChatRequestError,
  chatCompletionsUrl,
  createChatCompletion,
  modelsUrl,
} from '../../../src/cli/bench/chat-client.js';
import type { ChatEndpoint } from '../../../src/cli/bench/chat-client.js';
import { completionReply, startStubEndpoint } from './stub-endpoint.js';
import type { StubEndpoint } from './stub-endpoint.js';

const fastRetry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 1000 };
let stub: StubEndpoint | undefined;

afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

const endpointFor = (url: string, overrides: Partial<ChatEndpoint> = {}): ChatEndpoint => ({
  url,
  timeoutMs: 5000,
  retry: fastRetry,
  ...overrides,
});

describe('chat client', () => {
  it('builds endpoint URLs from a base or a full URL', () => {
    expect(chatCompletionsUrl('http://h:1/v1/')).toBe('http://h:1/v1/chat/completions');
    expect(chatCompletionsUrl('http://h:1/v1/chat/completions')).toBe('http://h:1/v1/chat/completions');
    expect(modelsUrl('http://h:1/v1/chat/completions')).toBe('http://h:1/v1/models');
  });

  it('retries 429 honouring Retry-After and reports each retry', async () => {
    stub = await startStubEndpoint((_, number) =>
      number === 1
        ? { status: 429, headers: { 'retry-after': '0.05' }, json: { error: { message: 'slow down' } } }
        : completionReply('A'),
    );
    const retries: string[] = [];
    const started = Date.now();
    const completion = await createChatCompletion(
      endpointFor(stub.url),
      { model: 'm' },
      { onRetry: (retry, delay, reason) => retries.push(`${retry} ${delay} ${reason}`), random: () => 0 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(completion).toMatchObject({ content: 'A', attempts: 2, finishReason: 'stop', usage: { total_tokens: 120 } });
    expect(retries).toEqual(['1 50 HTTP 429: slow down']);
  });

  it('gives up after maxAttempts on persistent 5xx', async () => {
    stub = await startStubEndpoint(() => ({ status: 502, json: { error: { message: 'bad gateway' } } }));
    const failure = createChatCompletion(endpointFor(stub.url), {});
    await expect(failure).rejects.toThrow(ChatRequestError);
    await expect(createChatCompletion(endpointFor(stub.url), {})).rejects.toMatchObject({
      status: 502,
      attempts: 3,
      message: 'HTTP 502: bad gateway after 3 attempts',
    });
  });

  it('retries network errors (nothing listening)', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const reasons: string[] = [];
    await expect(
      createChatCompletion(
        endpointFor(`http://127.0.0.1:${port}/v1`),
        {},
        { onRetry: (_, __, reason) => reasons.push(reason) },
      ),
    ).rejects.toMatchObject({
      attempts: 3,
    });
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toContain('ECONNREFUSED');
  });

  it('times out a silent endpoint and stops at once when the caller aborts', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
    try {
      await expect(
        createChatCompletion(endpointFor(url, { timeoutMs: 50, retry: { ...fastRetry, maxAttempts: 2 } }), {}),
      ).rejects.toThrow('no reply within 50 ms after 2 attempts');
      const controller = new AbortController();
      const pending = createChatCompletion(endpointFor(url), {}, { signal: controller.signal });
      controller.abort(new Error('stop'));
      await expect(pending).rejects.toThrow('stop');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('keeps reasoning_content and text-part content', async () => {
    stub = await startStubEndpoint(() => ({
      json: {
        choices: [
          {
            message: {
              content: [
                { type: 'text', text: '<answer>' },
                { type: 'text', text: 'B</answer>' },
              ],
              reasoning_content: 'thinking',
            },
          },
        ],
      },
    }));
    expect(await createChatCompletion(endpointFor(stub.url), {})).toMatchObject({
      content: '<answer>B</answer>',
      reasoning: 'thinking',
      attempts: 1,
    });
  });

  it('does not retry a reply without choices', async () => {
    stub = await startStubEndpoint(() => ({ json: { object: 'error' } }));
    await expect(createChatCompletion(endpointFor(stub.url), {})).rejects.toThrow('no choices[0].message');
    expect(stub.requests).toHaveLength(1);
  });
});
