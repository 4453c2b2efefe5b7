// The OpenAPI 3.1 document of this server, built from the RouteSpecs the routes are registered
// from. Every schema with a `title` becomes a component and is referenced by `$ref`, so the file
// reads like a hand-written one; a test keeps openapi.yaml equal to this.
import type { TSchema } from '@sinclair/typebox';
import type { RouteSpec } from './route-spec.js';

export const API_VERSION = '0.1.0';

type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class ComponentCollector {
  readonly schemas = new Map<string, { source: unknown; converted: unknown }>();

  /** A plain-JSON copy of `schema`, titled sub-schemas replaced by references. */
  convert(value: unknown, isComponentRoot = false): unknown {
    if (Array.isArray(value)) return value.map((item) => this.convert(item));
    if (!isObject(value)) return value;
    const title = value.title;
    if (typeof title === 'string' && !isComponentRoot) return { $ref: this.register(title, value) };
    const converted: JsonObject = {};
    for (const [key, item] of Object.entries(value)) converted[key] = this.convert(item);
    if (isObject(value.discriminator) && Array.isArray(value.oneOf))
      converted.discriminator = this.discriminator(value);
    return converted;
  }

  private register(title: string, schema: JsonObject): string {
    const existing = this.schemas.get(title);
    if (existing !== undefined && existing.source !== schema)
      throw new Error(`two different schemas are titled ${title}`);
    if (existing === undefined) {
      const entry = { source: schema as unknown, converted: undefined as unknown };
      this.schemas.set(title, entry);
      entry.converted = this.convert(schema, true);
    }
    return `#/components/schemas/${title}`;
  }

  /** OpenAPI's explicit mapping (Ajv validates without it; documentation tools want it). */
  private discriminator(value: JsonObject): JsonObject {
    const discriminator = value.discriminator as { propertyName: string };
    const mapping: Record<string, string> = {};
    for (const branch of value.oneOf as JsonObject[]) {
      const tag = (branch.properties as Record<string, { const?: unknown }> | undefined)?.[discriminator.propertyName]
        ?.const;
      if (typeof tag === 'string' && typeof branch.title === 'string')
        mapping[tag] = `#/components/schemas/${branch.title}`;
    }
    return { propertyName: discriminator.propertyName, mapping };
  }
}

function operation(spec: RouteSpec, components: ComponentCollector): JsonObject {
  const result: JsonObject = { operationId: spec.operationId, summary: spec.summary };
  if (spec.description !== undefined) result.description = spec.description;
  result.tags = [spec.tag];
  result.security = spec.authenticated ? [{ bearerAuth: [] }] : [];
  if (spec.body !== undefined) {
    const content: JsonObject = { 'application/json': { schema: components.convert(spec.body) } };
    for (const [type, schema] of Object.entries(spec.bodyContent ?? {}))
      content[type] = { schema: components.convert(schema) };
    result.requestBody = { required: true, content };
  }
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    const entry: JsonObject = { description: response.description };
    if (response.headers !== undefined) {
      entry.headers = Object.fromEntries(
        Object.entries(response.headers).map(([name, header]) => [
          name,
          { description: header.description, schema: components.convert(header.schema) },
        ]),
      );
    }
    if (response.content !== undefined) {
      entry.content = Object.fromEntries(
        Object.entries(response.content).map(([type, schema]: [string, TSchema]) => [
          type,
          { schema: components.convert(schema) },
        ]),
      );
    }
    responses[status] = entry;
  }
  result.responses = responses;
  return result;
}

export function buildOpenApiDocument(specs: readonly RouteSpec[]): JsonObject {
  const components = new ComponentCollector();
  const paths: Record<string, JsonObject> = {};
  for (const spec of specs) {
    const path = (paths[spec.url] ??= {});
    path[spec.method.toLowerCase()] = operation(spec, components);
  }
  const schemas = Object.fromEntries(
    [...components.schemas.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, entry]) => [name, entry.converted]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'shotvl-server',
      version: API_VERSION,
      description:
        'OpenAI-compatible inference server for ShotVL (Qwen2.5-VL fine-tuned for cinematography). ' +
        'Errors use OpenAI\'s envelope {"error":{"message","type","param","code"}} with a stable string code.',
    },
    tags: [
      { name: 'OpenAI', description: 'OpenAI-compatible endpoints' },
      { name: 'vLLM', description: "vLLM's extra endpoints" },
      { name: 'ShotVL', description: 'Cinematography analysis of stills and clips' },
      { name: 'Operations', description: 'Health, metrics and documentation' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'Required when the server runs with --api-key / SHOTVL_API_KEY',
        },
      },
      schemas,
    },
  };
}
