// Errors Node's HTTP parser raises before a request reaches Fastify (malformed HTTP, oversized
// headers, the request and header timeouts of slow clients): answered with OpenAI's envelope
// instead of Node's or Fastify's own bodies, then the connection is closed. Logged at debug: they
// are the client's or the network's doing, and one log line per port scan would flood the log.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { toErrorReply, type ApiErrorCode } from './errors.js';
import { ApiError } from './errors.js';

function codeFor(error: { code?: unknown }): ApiErrorCode {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout';
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large';
  return 'malformed_request';
}

/** For Fastify's `clientErrorHandler` option. */
export function clientErrorHandler(logger: () => FastifyBaseLogger): (error: Error, socket: Socket) => void {
  return (error, socket) => {
    const code = (error as { code?: unknown }).code;
    // A reset connection is already gone: nobody to answer.
    if (code === 'ECONNRESET' || socket.destroyed) return;
    const apiCode = codeFor(error as { code?: unknown });
    logger().debug({ code: apiCode, cause: code, remote: socket.remoteAddress }, 'client error before routing');
    if (socket.writable) {
      const { status, body } = toErrorReply(new ApiError(apiCode), 'none');
      const json = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      );
    }
    socket.destroy();
  };
}
