// A real HTTP server on loopback that fails connections the way a dying replica does: it resets
// the TCP connection (RST, not a polite FIN) after reading the request, or after sending the
// headers and part of the body; otherwise it answers with JSON. For the clients' retry tests.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FlakyAction =
  { kind: 'reset-before-reply' } | { kind: 'reset-mid-body' } | { kind: 'reply'; status?: number; json: unknown };

export interface FlakyServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The bodies received, one per request (a reset request counts too). */
  bodies: Buffer[];
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export async function startFlakyServer(
  plan: (requestNumber: number, body: Buffer) => FlakyAction,
): Promise<FlakyServer> {
  const bodies: Buffer[] = [];
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      bodies.push(body);
      const action = plan(bodies.length, body);
      if (action.kind === 'reset-before-reply') {
        request.socket.resetAndDestroy();
        return;
      }
      if (action.kind === 'reset-mid-body') {
        const text = JSON.stringify({ choices: [{ message: { content: 'never complete' } }] });
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
        response.write(text.slice(0, 10), () => request.socket.resetAndDestroy());
        return;
      }
      const text = JSON.stringify(action.json);
      response.writeHead(action.status ?? 200, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
