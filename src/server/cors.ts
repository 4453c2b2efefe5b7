// CORS, off unless --cors-origins lists origins (or '*'). Browsers calling the API from a web page
// need it; servers and SDKs do not. Preflights are answered here, before auth (they carry no key).
import type { FastifyInstance } from 'fastify';

const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const EXPOSED_HEADERS = 'x-request-id, retry-after';

export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const anyOrigin = origins.includes('*');
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined || (!anyOrigin && !origins.includes(origin))) return;
    reply
      .header('access-control-allow-origin', anyOrigin ? '*' : origin)
      .header('vary', 'Origin')
      .header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined) return;
    const requestedHeaders = request.headers['access-control-request-headers'];
    return reply
      .header('access-control-allow-methods', ALLOWED_METHODS)
      .header(
        'access-control-allow-headers',
        typeof requestedHeaders === 'string' ? requestedHeaders : 'authorization, content-type',
      )
      .header('access-control-max-age', '600')
      .code(204)
      .send();
  });
}
