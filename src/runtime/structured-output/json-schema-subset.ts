// The JSON Schema subset xgrammar enforces (its "Supported JSON Schema" document). xgrammar ignores
// keywords it does not know, which would turn a schema into a weaker constraint without a word:
// every keyword is checked here first, and an unsupported one is rejected by name.
import { ShotvlError } from '../../util/shotvl-error.js';

/** Keywords xgrammar turns into grammar. */
const ENFORCED = new Set([
  'type',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'allOf',
  '$ref',
  'properties',
  'required',
  'additionalProperties',
  'unevaluatedProperties',
  'minProperties',
  'maxProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'unevaluatedItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);

/** Keywords that describe and never constrain: accepted as they are. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  '$anchor',
  '$comment',
  '$defs',
  'definitions',
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'strict',
]);

/** String formats xgrammar enforces. */
export const SUPPORTED_FORMATS = new Set([
  'date',
  'time',
  'date-time',
  'duration',
  'email',
  'ipv4',
  'ipv6',
  'hostname',
  'uuid',
  'uri',
  'uri-reference',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
]);

const TYPES = new Set(['string', 'number', 'integer', 'object', 'array', 'boolean', 'null']);

/** Nesting beyond this is refused (a schema is compiled into a grammar per level). */
export const MAX_SCHEMA_DEPTH = 32;

export class UnsupportedSchemaError extends ShotvlError<'unsupported_schema'> {
  constructor(
    message: string,
    /** The offending keyword, e.g. "not". */
    readonly keyword: string,
    /** JSON pointer of the subschema, e.g. "#/properties/name". */
    readonly path: string,
  ) {
    super('unsupported_schema', message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pointer(path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

function resolves(root: Record<string, unknown>, reference: string): boolean {
  if (reference === '#') return true;
  if (!reference.startsWith('#/')) return false;
  let node: unknown = root;
  for (const raw of reference.slice(2).split('/')) {
    const part = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isRecord(node) || !(part in node)) return false;
    node = node[part];
  }
  return isRecord(node) || typeof node === 'boolean';
}

/** Throws UnsupportedSchemaError unless xgrammar enforces every keyword of `schema`. */
export function checkJsonSchemaSubset(schema: unknown): void {
  if (typeof schema === 'boolean') return;
  if (!isRecord(schema)) throw new UnsupportedSchemaError('the schema must be a JSON object', 'type', '#');
  const root = schema;
  const visit = (node: unknown, path: string, depth: number): void => {
    if (typeof node === 'boolean') return;
    if (!isRecord(node)) throw new UnsupportedSchemaError(`${path} must be a schema object`, 'type', path);
    if (depth > MAX_SCHEMA_DEPTH)
      throw new UnsupportedSchemaError(`the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`, 'depth', path);
    for (const [keyword, value] of Object.entries(node)) {
      if (ANNOTATIONS.has(keyword) && keyword !== '$defs' && keyword !== 'definitions') continue;
      const here = pointer(path, keyword);
      if (!ENFORCED.has(keyword) && !ANNOTATIONS.has(keyword))
        throw new UnsupportedSchemaError(
          `JSON Schema keyword '${keyword}' (at ${path}) is not supported`,
          keyword,
          path,
        );
      switch (keyword) {
        case 'type':
          for (const type of Array.isArray(value) ? value : [value]) {
            if (typeof type !== 'string' || !TYPES.has(type))
              throw new UnsupportedSchemaError(`unknown type ${JSON.stringify(type)} at ${path}`, 'type', path);
          }
          break;
        case 'allOf':
          if (!Array.isArray(value) || value.length !== 1)
            throw new UnsupportedSchemaError(
              `'allOf' with more than one schema (at ${path}) is not supported`,
              keyword,
              path,
            );
          visit(value[0], pointer(here, 0), depth + 1);
          break;
        case 'anyOf':
        case 'oneOf':
        case 'prefixItems':
          if (!Array.isArray(value) || value.length === 0)
            throw new UnsupportedSchemaError(`'${keyword}' at ${path} must be a non-empty list`, keyword, path);
          value.forEach((item, index) => visit(item, pointer(here, index), depth + 1));
          break;
        case '$ref':
          if (typeof value !== 'string' || !resolves(root, value))
            throw new UnsupportedSchemaError(
              `'$ref' ${JSON.stringify(value)} at ${path} must point inside the schema (#/...)`,
              keyword,
              path,
            );
          break;
        case '$defs':
        case 'definitions':
        case 'properties':
          if (!isRecord(value))
            throw new UnsupportedSchemaError(`'${keyword}' at ${path} must be an object`, keyword, path);
          for (const [name, item] of Object.entries(value)) visit(item, pointer(here, name), depth + 1);
          break;
        case 'items':
        case 'additionalProperties':
        case 'unevaluatedProperties':
        case 'unevaluatedItems':
          visit(value, here, depth + 1);
          break;
        case 'format':
          if (typeof value !== 'string' || !SUPPORTED_FORMATS.has(value))
            throw new UnsupportedSchemaError(
              `string format ${JSON.stringify(value)} (at ${path}) is not supported`,
              keyword,
              path,
            );
          break;
        case 'pattern':
          if (typeof value !== 'string')
            throw new UnsupportedSchemaError(`'pattern' at ${path} must be a string`, keyword, path);
          checkRegex(value, keyword, path);
          break;
        default:
          break;
      }
    }
  };
  visit(schema, '#', 0);
}

/** JavaScript's parser catches malformed patterns before they reach xgrammar's (which aborts on them). */
export function checkRegex(pattern: string, keyword: string, path: string): void {
  try {
    new RegExp(pattern);
  } catch {
    throw new UnsupportedSchemaError(`the regular expression at ${path} is not valid`, keyword, path);
  }
}
