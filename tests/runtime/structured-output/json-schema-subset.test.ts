import { describe, expect, it } from 'vitest';
import {
  checkJsonSchemaSubset,
  UnsupportedSchemaError,
} from '../../../src/runtime/structured-output/json-schema-subset.js';

function rejection(schema: unknown): UnsupportedSchemaError {
  try {
    checkJsonSchemaSubset(schema);
  } catch (error) {
    if (error instanceof UnsupportedSchemaError) return error;
    throw error;
  }
  throw new Error('the schema was accepted');
}

describe('the JSON Schema subset', () => {
  it('accepts what zod and pydantic emit', () => {
    expect(() =>
      checkJsonSchemaSubset({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        title: 'Shot',
        properties: {
          size: { type: 'string', enum: ['wide', 'close'], description: 'shot size' },
          tags: { type: 'array', items: { $ref: '#/$defs/tag' }, maxItems: 3 },
          when: { type: 'string', format: 'date-time' },
          score: { anyOf: [{ type: 'number', minimum: 0, exclusiveMaximum: 1 }, { type: 'null' }] },
        },
        required: ['size'],
        additionalProperties: false,
        $defs: { tag: { type: 'string', pattern: '^[a-z]+$', maxLength: 12 } },
      }),
    ).not.toThrow();
    expect(() => checkJsonSchemaSubset(true)).not.toThrow();
  });

  it('names the unsupported keyword and where it is', () => {
    expect(rejection({ type: 'object', properties: { a: { not: {} } } })).toMatchObject({
      keyword: 'not',
      path: '#/properties/a',
    });
    expect(rejection({ if: {}, then: {} }).keyword).toBe('if');
    expect(rejection({ type: 'array', uniqueItems: true }).keyword).toBe('uniqueItems');
    expect(rejection({ type: 'number', multipleOf: 3 }).keyword).toBe('multipleOf');
    expect(rejection({ allOf: [{}, {}] }).keyword).toBe('allOf');
    expect(rejection({ type: 'string', format: 'credit-card' }).keyword).toBe('format');
    expect(rejection({ $ref: '#/$defs/missing' }).keyword).toBe('$ref');
    expect(rejection({ type: 'string', pattern: '([a-z]' }).keyword).toBe('pattern');
    expect(rejection({ type: 'strings' }).keyword).toBe('type');
  });
});
