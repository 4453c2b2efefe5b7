// GET /openapi.yaml: the repository's openapi.yaml (kept equal to the route schemas by a test);
// generated from the schemas when the file is not shipped.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { routeBase } from '../../openapi/route-spec.js';
import { buildOpenApiYaml } from '../../openapi/build-openapi.js';
import { openApiSpec } from './schema.js';

/** The same four levels up from src/server/routes/openapi/ and dist/server/routes/openapi/. */
const OPENAPI_FILE = new URL('../../../../openapi.yaml', import.meta.url);

async function readOpenApiYaml(): Promise<string> {
  try {
    return await readFile(OPENAPI_FILE, 'utf8');
  } catch {
    return buildOpenApiYaml();
  }
}

export function registerOpenApiRoute(app: FastifyInstance): void {
  let text: Promise<string> | undefined;
  app.route({
    ...routeBase(openApiSpec),
    handler: async (_request, reply) =>
      reply.type('application/yaml; charset=utf-8').send(await (text ??= readOpenApiYaml())),
  });
}
