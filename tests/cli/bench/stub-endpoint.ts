// A local OpenAI-compatible endpoint (node:http on port 0) that records every request and answers
// with whatever the test's responder says.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface StubReply {
  status?: number;
  headers?: Record<string, string>;
  json: unknown;
  /** Wait this long before answering (to observe concurrency). */
  delayMs?: number;
}

export type Responder = (request: RecordedRequest, requestNumber: number) => StubReply;

export interface StubEndpoint {
  /** Base URL ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  respond: Responder;
  /** Most requests ever open at once. */
  maxInFlight: number;
  close(): Promise<void>;
}

export function completionReply(
  content: string,
  usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
): StubReply {
  return {
    json: {
      id: 'chatcmpl-stub',
      object: 'chat.completion',
      created: 0,
      model: 'stub',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage,
    },
  };
}

export async function startStubEndpoint(respond: Responder): Promise<StubEndpoint> {
  const stub: StubEndpoint = { url: '', requests: [], respond, maxInFlight: 0, close: async () => undefined };
  let inFlight = 0;
  const server: Server = createServer((request, response) => {
    inFlight += 1;
    stub.maxInFlight = Math.max(stub.maxInFlight, inFlight);
    response.on('close', () => (inFlight -= 1));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined,
      };
      stub.requests.push(recorded);
      const reply = stub.respond(recorded, stub.requests.length);
      setTimeout(() => {
        response.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        response.end(JSON.stringify(reply.json));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  stub.url = `http://127.0.0.1:${port}/v1`;
  stub.close = () =>
    new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return stub;
}
