// A 50 MiB clip uploaded as multipart/form-data over a real socket is streamed to disk: the server's
// memory grows by a small fraction of the clip while it arrives, the engine gets a file of the full
// size, and the file is gone once the response is sent.
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationEvent, GenerationRequest, MediaItem } from '../../../../src/runtime/engine/engine-api.js';
import { FakeEngine } from '../../fake-engine.js';
import { createTestApp, type TestApp } from '../../test-app.js';
import { mp4Header } from './multipart-form.js';

const CLIP_BYTES = 50 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const MiB = 1024 * 1024;
/**
 * Memory is sampled, after a full collection, each time the client has sent this much more of the
 * clip (and when the analysis starts): 12 samples however fast or slow the machine is, where a timer
 * took fewer on a fast machine and, every 50 ms, stalled the upload past 60 s on a loaded one. A
 * server that buffered the clip would hold more at each sample than the one before.
 */
const SAMPLE_EVERY_BYTES = 4 * MiB;
/** Generous on purpose: this test is about memory, tests/server/slow-clients.test.ts about time. */
const TEST_TIMEOUT_MS = 240_000;

/** Records the size of the uploaded file each time the engine is asked about it. */
class FileSizeEngine extends FakeEngine {
  readonly fileSizes: number[] = [];
  /** Called when the upload is complete and the analysis starts: when a buffering server would hold it all. */
  onRequest: () => void = () => {};

  override generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    this.onRequest();
    const part = (request.messages[1]?.content as MediaItem[])[0];
    if (part?.source.kind === 'file') this.fileSizes.push(statSync(part.source.path).size);
    return super.generate(request);
  }
}

interface MemoryPeaks {
  rss: number;
  heapAndBuffers: number;
  /** How many samples the peaks are the largest of. */
  samples: number;
}

/**
 * A full garbage collection on demand (the flag can be set at run time; the function is then found
 * in a fresh context). Sampling after a collection measures what is still reachable: chunks already
 * written to disk are garbage, not buffering, however long V8 waits to free them.
 */
function exposeGc(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

function sampleMemory(collect: () => void): { sample(): void; stop(): MemoryPeaks } {
  collect();
  const start = process.memoryUsage();
  const base = { rss: start.rss, heapAndBuffers: start.heapUsed + start.arrayBuffers };
  const peak = { ...base };
  let samples = 0;
  const sample = (): void => {
    samples += 1;
    collect();
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.heapAndBuffers = Math.max(peak.heapAndBuffers, now.heapUsed + now.arrayBuffers);
  };
  return {
    sample,
    stop: () => ({ rss: peak.rss - base.rss, heapAndBuffers: peak.heapAndBuffers - base.heapAndBuffers, samples }),
  };
}

/** POSTs a form holding a CLIP_BYTES video made chunk by chunk, so the client holds no copy either. */
async function uploadClip(port: number, onProgress: () => void): Promise<{ status: number; body: string }> {
  const boundary = '----shotvl-memory-test';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  const tail = Buffer.from(
    `\r\n--${boundary}\r\nContent-Disposition: form-data; name="dimensions"\r\n\r\ncamera_movement,shot_size\r\n--${boundary}--\r\n`,
  );
  const request = httpRequest({
    port,
    method: 'POST',
    path: '/analyze-shot',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  const response = once(request, 'response');
  const write = async (chunk: Buffer): Promise<void> => {
    if (!request.write(chunk)) await once(request, 'drain');
  };
  await write(head);
  const header = mp4Header();
  await write(header);
  const filler = Buffer.alloc(CHUNK_BYTES, 0x2a);
  for (let sent = header.length; sent < CLIP_BYTES; sent += CHUNK_BYTES) {
    await write(filler.subarray(0, Math.min(CHUNK_BYTES, CLIP_BYTES - sent)));
    if (Math.floor((sent + CHUNK_BYTES) / SAMPLE_EVERY_BYTES) > Math.floor(sent / SAMPLE_EVERY_BYTES)) onProgress();
  }
  request.end(tail);
  const [incoming] = (await response) as [IncomingMessage];
  let body = '';
  for await (const chunk of incoming) body += String(chunk);
  return { status: incoming.statusCode ?? 0, body };
}

describe('a 50 MiB multipart upload', () => {
  let test: TestApp;
  let engine: FileSizeEngine;
  let port: number;

  beforeAll(async () => {
    engine = new FileSizeEngine();
    // The upload is paced by a full garbage collection every SAMPLE_EVERY_BYTES: give it more than the default
    // 60 s request deadline on a loaded machine (this test is about memory, slow-clients.test.ts
    // about deadlines).
    test = createTestApp({ engine, argv: ['--request-timeout', '600'] });
    await test.app.listen({ port: 0, host: '127.0.0.1' });
    port = (test.app.server.address() as AddressInfo).port;
  });

  afterAll(async () => test.app.close());

  it(
    'streams to disk without holding the clip in memory, and removes it afterwards',
    async () => {
      const memory = sampleMemory(exposeGc());
      engine.onRequest = memory.sample;
      const { status, body } = await uploadClip(port, memory.sample);
      const peaks = memory.stop();
      expect(status, body).toBe(200);
      expect(JSON.parse(body).media.kind).toBe('video');
      expect(engine.fileSizes).toEqual([CLIP_BYTES, CLIP_BYTES]);
      const part = (engine.requests[0]!.messages[1]!.content as MediaItem[])[0]!;
      expect(() => statSync((part.source as { path: string }).path)).toThrow(/ENOENT/);
      // Sampled after every SAMPLE_EVERY_BYTES of the upload and when each analysis request starts,
      // after a full collection each time; a server that buffered the clip would hold 50 MiB (more
      // with copies) by then.
      expect(peaks.samples).toBe(Math.floor(CLIP_BYTES / SAMPLE_EVERY_BYTES) + engine.fileSizes.length);
      console.info(
        `peak growth during a ${CLIP_BYTES / MiB} MiB upload: heap+arrayBuffers ${(peaks.heapAndBuffers / MiB).toFixed(1)} MiB, rss ${(peaks.rss / MiB).toFixed(1)} MiB`,
      );
      expect(peaks.heapAndBuffers).toBeLessThan(16 * MiB);
      expect(peaks.rss).toBeLessThan(32 * MiB);
    },
    TEST_TIMEOUT_MS,
  );
});
