// API-key check for the routes whose spec says `authenticated` (/v1/*, /tokenize, /detokenize);
// /health, /metrics, /openapi.yaml and /docs stay open. The decision follows the matched route, not
// the raw path, so encodings of a path cannot slip past it.
//
// Comparison is constant-time over SHA-256 digests: timingSafeEqual needs equal lengths, and
// hashing first means neither the key's length nor its prefix leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The key from `Authorization: Bearer <key>`, or '' when absent or malformed. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1] ?? '';
}

export function registerApiKeyCheck(app: FastifyInstance, apiKey: string | undefined): void {
  if (apiKey === undefined) return;
  const expected = digest(apiKey);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config as { authenticated?: boolean } | undefined;
    if (config?.authenticated !== true || request.method === 'OPTIONS') return;
    if (!timingSafeEqual(digest(bearerToken(request)), expected)) {
      throw new ApiError('invalid_api_key', { headers: { 'www-authenticate': 'Bearer' } });
    }
  });
}
