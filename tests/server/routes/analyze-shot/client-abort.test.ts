// A client that disconnects during an analysis aborts all of its engine requests, and the
// upload's temporary file is removed.
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaItem } from '../../../../src/runtime/engine/engine-api.js';
import { FakeEngine } from '../../fake-engine.js';
import { createTestApp, type TestApp } from '../../test-app.js';
import { multipartForm, PNG_BYTES } from './multipart-form.js';

const LONG_REPLY = Array.from({ length: 300 }, (_, index) => `thought${index}`).join(' ');
let test: TestApp;
let port: number;

beforeAll(async () => {
  test = createTestApp({ engine: new FakeEngine({ reply: LONG_REPLY, tokenDelayMs: 20 }) });
  await test.app.listen({ port: 0, host: '127.0.0.1' });
  port = (test.app.server.address() as AddressInfo).port;
});

afterAll(async () => test.app.close());

/** Polls until `condition` holds; the timeout is generous on purpose (a loaded machine), what counts is the outcome. */
async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('client disconnect during /analyze-shot', () => {
  it('aborts every question and removes the upload', async () => {
    const form = multipartForm([
      { name: 'mode', value: 'reasoning' },
      { name: 'file', value: PNG_BYTES, filename: 'a.png' },
    ]);
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/analyze-shot',
      headers: { ...form.headers, 'content-length': form.payload.length },
    });
    request.on('error', () => undefined);
    const abortedBefore = test.engine.stats().finishedRequests.abort;
    request.end(form.payload);
    await waitFor(() => test.engine.running === 7);
    const path = ((test.engine.requests[0]!.messages[1]!.content as MediaItem[])[0]!.source as { path: string }).path;
    expect(existsSync(path)).toBe(true);
    request.destroy();
    await waitFor(() => test.engine.running === 0);
    // Every question ended by the abort, none by running out of its 300 tokens.
    expect(test.engine.requests.every((item) => item.signal?.aborted === true)).toBe(true);
    expect(test.engine.stats().finishedRequests.abort - abortedBefore).toBe(test.engine.requests.length);
    await waitFor(() => !existsSync(path));
  });
});
