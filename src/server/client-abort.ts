// An AbortSignal that fires when the client goes away before its response is complete.
// Not Fastify's `request.signal`: on Node 20 that follows the request stream, whose 'close' comes as
// soon as the body has been read, so it would abort every POST. The response's 'close' before
// 'finish' is the disconnect.
import type { FastifyReply } from 'fastify';
import { ApiError } from './errors.js';

export function abortOnClientClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    if (!response.writableFinished) controller.abort(new ApiError('client_closed_request'));
  });
  return controller.signal;
}
