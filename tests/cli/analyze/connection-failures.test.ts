// A replica dying mid-upload: `analyze --endpoint` re-sends the whole multipart request when the
// connection is reset before the reply or in the middle of its body.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointBackend } from '../../../src/cli/analyze/endpoint-backend.js';
import { startFlakyServer, type FlakyServer } from '../flaky-http-server.js';

let folder = '';
let server: FlakyServer | undefined;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'analyze-reset-'));
});

afterAll(async () => {
  await server?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('analyze --endpoint on a connection that dies', () => {
  it('re-sends the whole upload after a reset before the reply and a reset mid-body', async () => {
    const still = join(folder, 'still.png');
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#336699' } })
      .png()
      .toFile(still);
    const analysis = { media: { kind: 'image' }, dimensions: { shot_size: { label: 'wide', confidence: 0.9 } } };
    server = await startFlakyServer((number) =>
      number === 1
        ? { kind: 'reset-before-reply' }
        : number === 2
          ? { kind: 'reset-mid-body' }
          : { kind: 'reply', json: { id: 'shot-1', object: 'shot.analysis', created: 1, ...analysis } },
    );
    const reasons: string[] = [];
    const backend = endpointBackend(
      {
        url: server.url,
        timeoutMs: 5000,
        retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 1000 },
        onRetry: (_file, reason) => reasons.push(reason),
      },
      { mode: 'fast', dimensions: undefined, maxPixels: undefined, fps: undefined, maxTokens: undefined },
    );
    expect(await backend.analyze(still, new AbortController().signal)).toEqual(analysis);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toContain('ECONNRESET');
    expect(reasons[1]).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    // Each attempt carried the whole file (a fresh multipart body, not a half-consumed stream).
    const bytes = readFileSync(still);
    expect(server.bodies).toHaveLength(3);
    for (const body of server.bodies) expect(body.includes(bytes)).toBe(true);
  });
});
