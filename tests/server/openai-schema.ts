// Validates our responses against OpenAI's own OpenAPI description (the response schemas of its
// openapi.yaml, cut with their $ref closure into tests/fixtures/openai/openapi-subset.yaml; see the
// README there for the source commit). That file is OpenAPI 3.1 but still writes `nullable: true`
// in places; those are rewritten into JSON-Schema unions before Ajv's 2020-12 validator sees them.
// Ajv and yaml come with fastify and @fastify/swagger-ui (not direct dependencies; tests only).
// A test that needs another schema adds its name below and reruns tests/fixtures/scripts/.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { fixturePath } from '../helpers/fixtures.js';

/** The schemas our responses are validated against; the fixture keeps these and their $ref closure. */
export const OPENAI_SCHEMA_NAMES = [
  'CreateChatCompletionResponse',
  'CreateChatCompletionStreamResponse',
  'ListModelsResponse',
  'ErrorResponse',
  'Response',
  'ResponseStreamEvent',
] as const;

export type OpenAiSchemaName = (typeof OPENAI_SCHEMA_NAMES)[number];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `{type: X, nullable: true}` -> `{type: [X, 'null']}`; `{$ref, nullable: true}` -> `{anyOf: [{$ref}, {type: 'null'}]}`. */
function rewriteNullable(value: Json): Json {
  if (Array.isArray(value)) return value.map(rewriteNullable);
  if (typeof value !== 'object' || value === null) return value;
  const result: { [key: string]: Json } = {};
  for (const [key, item] of Object.entries(value)) result[key] = rewriteNullable(item);
  if (result.nullable !== true) return result;
  delete result.nullable;
  if (Array.isArray(result.enum)) result.enum = [...result.enum, null];
  if (typeof result.type === 'string') {
    result.type = [result.type, 'null'];
    return result;
  }
  const { description, ...rest } = result;
  return description === undefined
    ? { anyOf: [rest, { type: 'null' }] }
    : { description, anyOf: [rest, { type: 'null' }] };
}

let ajv: Ajv2020 | undefined;
const validators = new Map<OpenAiSchemaName, ValidateFunction>();

function validator(name: OpenAiSchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (validate !== undefined) return validate;
  if (ajv === undefined) {
    const document = parse(readFileSync(fixturePath('openai', 'openapi-subset.yaml'), 'utf8')) as {
      components: { schemas: Json };
    };
    ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema({ $id: 'openai', components: { schemas: rewriteNullable(document.components.schemas) } });
  }
  validate = ajv.getSchema(`openai#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name} in the OpenAI spec`);
  validators.set(name, validate);
  return validate;
}

/** Throws, listing Ajv's complaints, unless `value` matches OpenAI's schema `name`. */
export function assertOpenAiShape(name: OpenAiSchemaName, value: unknown): void {
  const validate = validator(name);
  if (!validate(value)) {
    throw new Error(
      `${name} mismatch:\n${JSON.stringify(validate.errors, null, 2)}\nvalue: ${JSON.stringify(value).slice(0, 2000)}`,
    );
  }
}
