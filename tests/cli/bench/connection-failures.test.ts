// A replica dying mid-request: the chat client re-sends the whole request when the connection is
// reset before the reply or in the middle of its body, and `bench run` writes each item once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createChatCompletion } from '../../../src/cli/bench/chat-client.js';
import { run } from '../../../src/cli/commands/bench.js';
import { startFlakyServer, type FlakyServer } from '../flaky-http-server.js';
import { completionReply } from './stub-endpoint.js';
import { readJsonLinesSync } from '../../helpers/json-lines.js';

const fastRetry = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 1000 };
let server: FlakyServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  vi.restoreAllMocks();
});

describe('chat client on a connection that dies', () => {
  it('re-sends the same request after a reset before the reply and a reset mid-body', async () => {
    server = await startFlakyServer((number) =>
      number === 1
        ? { kind: 'reset-before-reply' }
        : number === 2
          ? { kind: 'reset-mid-body' }
          : { kind: 'reply', json: completionReply('A').json },
    );
    const reasons: string[] = [];
    const request = { model: 'm', messages: [{ role: 'user', content: 'which?' }], temperature: 0 };
    const completion = await createChatCompletion(
      { url: `${server.url}/v1`, timeoutMs: 5000, retry: fastRetry },
      request,
      { onRetry: (_retry, _delay, reason) => reasons.push(reason) },
    );
    expect(completion).toMatchObject({ content: 'A', attempts: 3 });
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toContain('ECONNRESET');
    expect(reasons[1]).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    // Idempotent re-send: every attempt carried the whole request, byte for byte.
    expect(server.bodies.map((body) => body.toString('utf8'))).toEqual(Array(3).fill(JSON.stringify(request)));
  });
});

describe('shotvl bench run when connections die', () => {
  it('answers every item exactly once', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'bench-reset-'));
    try {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
        .png()
        .toFile(join(folder, 'still.png'));
      const items = Array.from({ length: 12 }, (_, index) => ({
        index,
        type: ['image'],
        path: ['still.png'],
        question: 'Which?',
        options: { A: 'Wide', B: 'Close Up' },
        answer: 'A',
        category: 'shot size',
      }));
      writeFileSync(join(folder, 'test.jsonl'), items.map((item) => `${JSON.stringify(item)}\n`).join(''));
      // Every third request dies, alternating the two ways; the rest answer.
      server = await startFlakyServer((number) =>
        number % 3 === 1
          ? { kind: number % 2 === 0 ? 'reset-mid-body' : 'reset-before-reply' }
          : { kind: 'reply', json: completionReply('A').json },
      );
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const out = join(folder, 'out.jsonl');
      const code = await run([
        'run',
        '--data',
        join(folder, 'test.jsonl'),
        '--endpoint',
        `${server.url}/v1`,
        '--model',
        'm',
        '--mode',
        'plain',
        '--concurrency',
        '3',
        '--out',
        out,
      ]);
      expect(code).toBe(0);
      const indices = readJsonLinesSync<{ index: number }>(out)
        .map((line) => line.index)
        .sort((first, second) => first - second);
      expect(indices).toEqual([...Array(12).keys()]);
      expect(server.bodies.length).toBeGreaterThan(12);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
