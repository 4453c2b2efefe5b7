// Prints openapi.yaml from the route schemas:  npx tsx src/server/openapi/build-openapi.ts > openapi.yaml
// (tests/server/openapi.test.ts fails when the committed file differs from this output).
import { fileURLToPath } from 'node:url';
import { ROUTE_SPECS } from '../routes/route-specs.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { toYaml } from './yaml.js';

const HEADER = '# Generated from the route schemas by src/server/openapi/build-openapi.ts; do not edit by hand.\n';

export function buildOpenApiYaml(): string {
  return HEADER + toYaml(buildOpenApiDocument(ROUTE_SPECS));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(buildOpenApiYaml());
}
