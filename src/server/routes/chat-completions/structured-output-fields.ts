// The request fields that constrain the output, in every dialect clients send, mapped onto the
// engine's one representation (StructuredOutput) or constrained choice:
// - OpenAI: response_format {type: json_object} and {type: json_schema, json_schema: {name, schema, strict}};
// - vLLM: structured_outputs {json, regex, grammar, choice, json_object} and the older guided_json,
//   guided_regex, guided_grammar, guided_choice;
// - llama.cpp's server: top-level json_schema and grammar (GBNF, read by xgrammar's EBNF parser).
// A request may use one of them; two constraints at once are refused rather than one ignored.
import type { StructuredOutput } from '../../../runtime/engine/engine-api.js';
import {
  checkJsonSchemaSubset,
  checkRegex,
  UnsupportedSchemaError,
} from '../../../runtime/structured-output/json-schema-subset.js';
import { ApiError } from '../../errors.js';

/** Largest grammar or schema text accepted (compiling is superlinear in its size). */
export const MAX_GRAMMAR_CHARACTERS = 65_536;

export interface OutputConstraint {
  structuredOutput?: StructuredOutput;
  choices?: string[];
}

type Body = Record<string, unknown>;

function invalid(param: string, message: string): ApiError {
  return new ApiError('invalid_request', { message, param });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A schema given as an object, or as JSON text (vLLM accepts both for guided_json). */
function schemaValue(value: unknown, param: string): Record<string, unknown> | boolean {
  let schema = value;
  if (typeof value === 'string') {
    if (value.length > MAX_GRAMMAR_CHARACTERS)
      throw invalid(param, `'${param}' is longer than ${MAX_GRAMMAR_CHARACTERS} characters.`);
    try {
      schema = JSON.parse(value);
    } catch {
      throw invalid(param, `'${param}' is not valid JSON.`);
    }
  } else if (JSON.stringify(value).length > MAX_GRAMMAR_CHARACTERS) {
    throw invalid(param, `'${param}' is longer than ${MAX_GRAMMAR_CHARACTERS} characters.`);
  }
  if (!isRecord(schema) && typeof schema !== 'boolean')
    throw invalid(param, `'${param}' must be a JSON Schema object.`);
  try {
    checkJsonSchemaSubset(schema);
  } catch (error) {
    if (error instanceof UnsupportedSchemaError) throw invalid(param, `Invalid '${param}': ${error.message}.`);
    throw error;
  }
  return schema;
}

function textValue(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(param, `'${param}' must be a non-empty string.`);
  if (value.length > MAX_GRAMMAR_CHARACTERS)
    throw invalid(param, `'${param}' is longer than ${MAX_GRAMMAR_CHARACTERS} characters.`);
  return value;
}

function regexValue(value: unknown, param: string): string {
  const pattern = textValue(value, param);
  try {
    checkRegex(pattern, 'pattern', param);
  } catch {
    throw invalid(param, `'${param}' is not a valid regular expression.`);
  }
  return pattern;
}

function given(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false;
}

/** Every constraint the request names, as (param, build) pairs. */
function candidates(body: Body): Array<{ param: string; build: () => OutputConstraint }> {
  const found: Array<{ param: string; build: () => OutputConstraint }> = [];
  const grammar = (param: string, make: () => StructuredOutput['grammar']) =>
    found.push({ param, build: () => ({ structuredOutput: { grammar: make(), param } }) });

  const format = body.response_format;
  if (isRecord(format) && format.type === 'json_object') grammar('response_format', () => ({ kind: 'json_object' }));
  if (isRecord(format) && format.type === 'json_schema') {
    const param = 'response_format.json_schema.schema';
    grammar(param, () => {
      const spec = format.json_schema;
      if (!isRecord(spec)) throw invalid('response_format.json_schema', "'response_format.json_schema' is required.");
      // OpenAI allows a json_schema without a schema: any JSON object then.
      return spec.schema === undefined
        ? { kind: 'json_object' }
        : { kind: 'json_schema', schema: schemaValue(spec.schema, param) };
    });
  }

  const structured = isRecord(body.structured_outputs) ? body.structured_outputs : {};
  const guided = (param: string, value: unknown, kind: 'json' | 'regex' | 'ebnf' | 'choice') => {
    if (!given(value)) return;
    if (kind === 'choice') {
      found.push({ param, build: () => ({ choices: value as string[] }) });
      return;
    }
    grammar(param, () =>
      kind === 'json'
        ? { kind: 'json_schema', schema: schemaValue(value, param) }
        : kind === 'regex'
          ? { kind: 'regex', pattern: regexValue(value, param) }
          : { kind: 'ebnf', grammar: textValue(value, param) },
    );
  };
  guided('structured_outputs.json', structured.json, 'json');
  guided('structured_outputs.regex', structured.regex, 'regex');
  guided('structured_outputs.grammar', structured.grammar, 'ebnf');
  guided('structured_outputs.choice', structured.choice, 'choice');
  if (structured.json_object === true) grammar('structured_outputs.json_object', () => ({ kind: 'json_object' }));
  guided('guided_json', body.guided_json, 'json');
  guided('guided_regex', body.guided_regex, 'regex');
  guided('guided_grammar', body.guided_grammar, 'ebnf');
  guided('guided_choice', body.guided_choice, 'choice');
  guided('json_schema', body.json_schema, 'json');
  guided('grammar', body.grammar, 'ebnf');
  return found;
}

/** vLLM's structured_outputs keys this server understands (others are refused, not ignored). */
const STRUCTURED_OUTPUT_KEYS = new Set(['json', 'regex', 'grammar', 'choice', 'json_object']);

/** The request's output constraint, if any; throws ApiError for a bad or doubled one. */
export function outputConstraint(body: Body): OutputConstraint {
  if (isRecord(body.structured_outputs)) {
    for (const [key, value] of Object.entries(body.structured_outputs)) {
      if (!STRUCTURED_OUTPUT_KEYS.has(key) && given(value))
        throw new ApiError('unsupported_feature', {
          values: { feature: `structured_outputs.${key}` },
          param: `structured_outputs.${key}`,
        });
    }
  }
  const found = candidates(body);
  if (found.length === 0) return {};
  if (found.length > 1)
    throw invalid(
      found[1]!.param,
      `Only one output constraint may be given; this request has ${found.map((item) => `'${item.param}'`).join(' and ')}.`,
    );
  return found[0]!.build();
}
