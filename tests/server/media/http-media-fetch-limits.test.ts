// Byte limits, timeouts and cancellation of http media downloads, against servers on port 0 that
// send too much, lie about it, stall, or get cut off.
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  errorOf,
  makeTemporaryDirectory,
  never,
  reasonOf,
  removeDirectory,
  spooledEntries,
  tableResolver,
  testLoader,
} from './loader-fixtures.js';
import { startHttpServer, startRawServer } from './test-servers.js';
import type { TestServer } from './test-servers.js';

const LIMIT = 64 * 1024;

let directory: string;
let server: TestServer | undefined;

beforeEach(async () => {
  directory = await makeTemporaryDirectory();
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  // Whatever happened, nothing is left on disk.
  expect(await spooledEntries(directory)).toEqual([]);
  await removeDirectory(directory);
});

const url = (path = '/'): string => `http://127.0.0.1:${server?.port ?? 0}${path}`;
const waitFor = async (condition: () => boolean, timeoutMs = 2000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

/** A raw server that writes `head` and then `body` chunks, counting what it managed to send. */
async function rawServer(head: string, writeBody: (socket: Socket) => void): Promise<TestServer> {
  return startRawServer((socket) => {
    socket.once('data', () => {
      socket.write(head);
      writeBody(socket);
    });
    socket.on('error', () => undefined);
  });
}

/** Writes `chunk` until `total` bytes are sent or the peer goes away; reports bytes sent. */
function flood(socket: Socket, chunk: Buffer, total: number, sent: { bytes: number }): void {
  const pump = (): void => {
    while (sent.bytes < total && !socket.destroyed) {
      sent.bytes += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
    if (sent.bytes >= total) socket.end();
  };
  pump();
}

describe('byte limit', () => {
  it('refuses a body whose Content-Length is over the limit', async () => {
    server = await startHttpServer((_request, response) => {
      response.writeHead(200, { 'content-length': LIMIT + 1 });
      response.end(Buffer.alloc(LIMIT + 1));
    });
    const error = await errorOf(testLoader(directory, { limits: { maxBytes: LIMIT } }).resolve(url(), 'image', never));
    expect(error.reason).toBe('media_too_large');
    expect(error.status).toBe(413);
    expect(error.message).toContain('Content-Length');
  });

  it.each(['image', 'video'] as const)('aborts a chunked %s body as soon as it passes the limit', async (kind) => {
    const sent = { bytes: 0 };
    server = await rawServer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', (socket) => {
      const payload = Buffer.alloc(16 * 1024, 1);
      flood(
        socket,
        Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n')]),
        512 * 1024 * 1024,
        sent,
      );
    });
    expect(await reasonOf(testLoader(directory, { limits: { maxBytes: LIMIT } }).resolve(url(), kind, never))).toBe(
      'media_too_large',
    );
    await waitFor(() => server?.closedSockets === 1);
    expect(server.closedSockets).toBe(1);
    // Socket buffers hold a few MiB at most; the 512 MiB the server wanted to send were not read.
    expect(sent.bytes).toBeLessThan(64 * 1024 * 1024);
  });

  it('aborts a body with no length that runs until the connection closes (the server does not say, and sends 10x the limit)', async () => {
    server = await rawServer('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n', (socket) =>
      flood(socket, Buffer.alloc(8192, 2), LIMIT * 10, { bytes: 0 }),
    );
    expect(await reasonOf(testLoader(directory, { limits: { maxBytes: LIMIT } }).resolve(url(), 'video', never))).toBe(
      'media_too_large',
    );
  });

  it('reads no more than a Content-Length under the limit, however much the server sends after it', async () => {
    server = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', (socket) =>
      flood(socket, Buffer.alloc(8192, 3), LIMIT * 10, { bytes: 0 }),
    );
    const source = await testLoader(directory, { limits: { maxBytes: LIMIT } }).resolve(url(), 'image', never);
    expect(source.kind === 'bytes' ? source.bytes.length : -1).toBe(10);
  });

  it('accepts a body of exactly the limit', async () => {
    server = await startHttpServer((_request, response) => response.end(Buffer.alloc(LIMIT, 4)));
    const source = await testLoader(directory, { limits: { maxBytes: LIMIT } }).resolve(url(), 'image', never);
    expect(source.kind === 'bytes' ? source.bytes.length : -1).toBe(LIMIT);
  });

  it('refuses a body shorter than its Content-Length (connection cut)', async () => {
    server = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n', (socket) =>
      socket.end(Buffer.alloc(100)),
    );
    expect(await reasonOf(testLoader(directory).resolve(url(), 'video', never))).toBe('media_fetch_failed');
  });

  it('refuses a chunked body cut off mid-stream', async () => {
    server = await rawServer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', (socket) => {
      socket.write('10\r\n0123456789abcdef\r\n');
      setTimeout(() => socket.destroy(), 20);
    });
    expect(await reasonOf(testLoader(directory).resolve(url(), 'video', never))).toBe('media_fetch_failed');
  });

  it('refuses an empty body', async () => {
    server = await startHttpServer((_request, response) => response.end());
    expect(await reasonOf(testLoader(directory).resolve(url(), 'image', never))).toBe('media_fetch_failed');
  });
});

describe('timeouts', () => {
  it('stops a server that trickles its body within the total timeout', async () => {
    server = await startHttpServer((_request, response) => {
      response.writeHead(200);
      const timer = setInterval(() => response.write('x'), 50);
      response.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const error = await errorOf(
      testLoader(directory, { limits: { totalTimeoutMs: 400 } }).resolve(url(), 'video', never),
    );
    const elapsed = Date.now() - started;
    expect(error.reason).toBe('media_fetch_timeout');
    expect(error.status).toBe(422);
    // Not before the 400 ms asked for, and far before the 60 s default: the configured total timeout
    // cut it. Generous on purpose above (a loaded machine stretches timers).
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(10_000);
    await waitFor(() => server?.closedSockets === 1);
    expect(server.closedSockets).toBe(1);
  });

  it('stops a server that never answers within the total timeout', async () => {
    server = await startRawServer(() => undefined);
    const started = Date.now();
    expect(
      await reasonOf(testLoader(directory, { limits: { totalTimeoutMs: 300 } }).resolve(url(), 'image', never)),
    ).toBe('media_fetch_timeout');
    expect(Date.now() - started).toBeLessThan(10_000); // 300 ms asked for; the default is 60 s
  });

  it('stops a connection that cannot be made (DNS hanging) within the connect timeout', async () => {
    const hanging = Object.assign(() => new Promise<never>(() => undefined), {});
    const started = Date.now();
    const error = await errorOf(
      testLoader(directory, { resolver: hanging, limits: { connectTimeoutMs: 200 } }).resolve(
        'http://slow-dns.test/x',
        'image',
        never,
      ),
    );
    expect(error.reason).toBe('media_fetch_timeout');
    expect(error.message).toContain("Connecting to 'slow-dns.test'");
    expect(Date.now() - started).toBeLessThan(5000); // 200 ms asked for; the default is 10 s
  });
});

describe('cancellation', () => {
  it('rejects with the signal reason, closes the connection and removes the partial file', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    server = await startHttpServer((_request, response) => {
      response.writeHead(200);
      response.write(Buffer.alloc(1024));
      setTimeout(() => controller.abort(reason), 50);
    });
    const loader = testLoader(directory, { resolver: tableResolver({}) });
    await expect(loader.resolve(url(), 'video', controller.signal)).rejects.toBe(reason);
    await waitFor(() => server?.closedSockets === 1);
    expect(server.closedSockets).toBe(1);
    expect(loader.pendingTemporaryFiles).toBe(0);
  });

  it('does not connect when the signal is already aborted', async () => {
    server = await startHttpServer((_request, response) => response.end('x'));
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(testLoader(directory).resolve(url(), 'image', controller.signal)).rejects.toThrow('gone');
    expect(server.requests).toEqual([]);
  });
});
