// API-key check for the routes whose spec says `authenticated` (/v1/*, /analyze-shot, /tokenize,
// /detokenize) and, unless `publicDocs`, the documentation (/docs and everything under it, such as
// /docs/json, and /openapi.yaml: issue 17, the README said only /health and /metrics stay open).
// /health and /metrics always stay open (orchestrators and Prometheus poll them). The decision
// follows the matched route, not the raw path, so encodings of a path cannot slip past it.
//
// Comparison is constant-time over SHA-256 digests: timingSafeEqual needs equal lengths, and
// hashing first means neither the key's length nor its prefix leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { docsSpec } from './routes/docs/schema.js';
import { openApiSpec } from './routes/openapi/schema.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The key from `Authorization: Bearer <key>`, or '' when absent or malformed. */
export function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1] ?? '';
}

/** Routes of the documentation: Swagger UI's pages, assets and document, and openapi.yaml. */
function isDocumentation(url: string | undefined): boolean {
  return url !== undefined && (url === docsSpec.url || url.startsWith(`${docsSpec.url}/`) || url === openApiSpec.url);
}

export function registerApiKeyCheck(
  app: FastifyInstance,
  apiKey: string | undefined,
  options: { publicDocs?: boolean } = {},
): void {
  if (apiKey === undefined) return;
  const expected = digest(apiKey);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config as { authenticated?: boolean } | undefined;
    const guarded =
      config?.authenticated === true || (options.publicDocs !== true && isDocumentation(request.routeOptions.url));
    if (!guarded || request.method === 'OPTIONS') return;
    if (!timingSafeEqual(digest(bearerToken(request)), expected)) {
      throw new ApiError('invalid_api_key', { headers: { 'www-authenticate': 'Bearer' } });
    }
  });
}
