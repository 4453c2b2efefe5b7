// Local servers on port 0 for the media fetch tests: plain http, https with the fixture certificate
// (self-signed for media.test, localhost and 127.0.0.1, valid until 2126), and raw TCP for servers
// that break HTTP's rules.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export const TEST_CERTIFICATE = readFileSync(new URL('./fixtures/test-server-cert.pem', import.meta.url), 'utf8');
const TEST_KEY = readFileSync(new URL('./fixtures/test-server-key.pem', import.meta.url), 'utf8');

export interface ReceivedRequest {
  url: string;
  headers: IncomingHttpHeaders;
}

export interface TestServer {
  port: number;
  /** Requests received so far. */
  requests: ReceivedRequest[];
  /** Sockets closed so far (to see a client hang up). */
  closedSockets: number;
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function listen(server: Server | ReturnType<typeof createTcpServer>, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

function track(
  server: Server | ReturnType<typeof createTcpServer>,
  state: { closedSockets: number; sockets: Set<Socket> },
): void {
  server.on('connection', (socket: Socket) => {
    state.sockets.add(socket);
    socket.on('close', () => {
      state.sockets.delete(socket);
      state.closedSockets += 1;
    });
  });
}

async function start(server: Server, host: string): Promise<TestServer> {
  const state = { closedSockets: 0, sockets: new Set<Socket>() };
  const requests: ReceivedRequest[] = [];
  server.on('request', (request: IncomingMessage) =>
    requests.push({ url: request.url ?? '', headers: request.headers }),
  );
  track(server, state);
  const port = await listen(server, host);
  return {
    port,
    requests,
    get closedSockets() {
      return state.closedSockets;
    },
    close: async () => {
      for (const socket of state.sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function startHttpServer(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
  return start(createHttpServer(handler), host);
}

export function startHttpsServer(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
  return start(createHttpsServer({ cert: TEST_CERTIFICATE, key: TEST_KEY }, handler), host);
}

/** A TCP server that answers every connection with `onConnection` (no HTTP parsing at all). */
export async function startRawServer(onConnection: (socket: Socket) => void): Promise<TestServer> {
  const state = { closedSockets: 0, sockets: new Set<Socket>() };
  const server = createTcpServer(onConnection);
  track(server, state);
  const port = await listen(server, '127.0.0.1');
  return {
    port,
    requests: [],
    get closedSockets() {
      return state.closedSockets;
    },
    close: async () => {
      for (const socket of state.sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
