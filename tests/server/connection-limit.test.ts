// --max-connections: with two connections open, a third is closed as it arrives without an answer;
// the open ones keep being served, a new one is accepted once one closes, and the refusals are
// counted in warnings: the first at once, later ones when the interval ends. Off by default.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONNECTIONS } from '../../src/config/server-config.js';
import { limitConnections } from '../../src/server/connection-limit.js';
import { capturingLogger } from './log-capture.js';
import { createTestApp, testConfig, type TestApp } from './test-app.js';

let test: TestApp;
let port = 0;
const log = capturingLogger('warn');

beforeAll(async () => {
  test = createTestApp({ argv: ['--max-connections', '2'], logger: log.logger });
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  port = (test.app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await test?.app.close();
});

async function open(): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Everything the server sent on `socket` until it closed, or until `waitMs` passed. */
function received(socket: Socket, waitMs: number): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('error', () => {});
    const timer = setTimeout(() => resolve({ text, closed: false }), waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

/** One keep-alive GET /health/live on an open socket: the status line of its answer. */
async function health(socket: Socket): Promise<string> {
  const answer = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
  return (await answer).split('\r\n')[0]!;
}

describe('--max-connections', () => {
  it('is off by default (0), and takes no negative bound', () => {
    expect(DEFAULT_MAX_CONNECTIONS).toBe(0);
    expect(testConfig().maxConnections).toBe(0);
    const server = createServer();
    limitConnections(server, 0, { warn() {} });
    expect(server.maxConnections).not.toBe(0);
    expect(() => testConfig(['--max-connections', '-1'])).toThrow(/max-connections/);
  });

  it('reports refusals made during the interval when it ends', async () => {
    const warnings: Record<string, unknown>[] = [];
    const server = createServer((_request, response) => response.end('ok'));
    limitConnections(server, 1, { warn: (fields: Record<string, unknown>) => warnings.push(fields) } as never, 300);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port: localPort } = server.address() as AddressInfo;
    const held = connect(localPort, '127.0.0.1');
    await once(held, 'connect');
    for (let refused = 0; refused < 3; refused += 1) {
      const socket = connect(localPort, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'close');
    }
    expect(warnings).toEqual([{ dropped: 1, maxConnections: 1 }]);
    await sleep(600);
    expect(warnings).toEqual([
      { dropped: 1, maxConnections: 1 },
      { dropped: 2, maxConnections: 1 },
    ]);
    held.destroy();
    server.close();
  });

  it('closes a connection beyond the bound and keeps serving the open ones', async () => {
    const first = await open();
    const second = await open();
    const third = connect(port, '127.0.0.1');
    third.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const refused = await received(third, 5_000);
    expect(refused).toEqual({ text: '', closed: true });
    expect(await health(first)).toBe('HTTP/1.1 200 OK');
    expect(await health(second)).toBe('HTTP/1.1 200 OK');

    first.destroy();
    // The server counts the closed socket once it has seen it go.
    let fourth: Socket | undefined;
    for (let attempt = 0; attempt < 50 && fourth === undefined; attempt += 1) {
      await sleep(20);
      const socket = await open();
      const status = await Promise.race([health(socket), received(socket, 1_000).then(() => 'closed')]);
      if (status === 'HTTP/1.1 200 OK') fourth = socket;
      else socket.destroy();
    }
    expect(fourth).toBeDefined();
    second.destroy();
    fourth!.destroy();

    const warnings = log.lines.filter((line) => line.msg === 'connections refused: --max-connections are open');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ maxConnections: 2, dropped: 1 });
  });
});
