// GET /docs: @fastify/swagger-ui, fed the document the routes generate (the one openapi.yaml holds).
// swagger-ui expects @fastify/swagger to provide `app.swagger()`; we have a finished document rather
// than routes to scan, so a small plugin under that name provides it. All assets are local files.
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from '../../openapi/openapi-document.js';
import { toYaml } from '../../openapi/yaml.js';
import { ROUTE_SPECS } from '../route-specs.js';
import { docsSpec } from './schema.js';

function staticDocumentPlugin(document: Record<string, unknown>) {
  const yaml = toYaml(document);
  const plugin = async (app: FastifyInstance): Promise<void> => {
    app.decorate('swagger', (options?: { yaml?: boolean }) => (options?.yaml === true ? yaml : document));
  };
  // What fastify-plugin would set: a named plugin whose decorator is visible to its siblings.
  Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@fastify/swagger',
    [Symbol.for('plugin-meta')]: { name: '@fastify/swagger', fastify: '5.x' },
  });
  return plugin;
}

export function registerDocsRoute(app: FastifyInstance): void {
  app.register(staticDocumentPlugin(buildOpenApiDocument(ROUTE_SPECS)));
  app.register(swaggerUi, { routePrefix: docsSpec.url, uiConfig: { deepLinking: true }, validatorUrl: false });
}
