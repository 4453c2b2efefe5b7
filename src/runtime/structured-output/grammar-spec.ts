// What a request asks its output to match, independent of the API field that said it:
// response_format json_object / json_schema, vLLM's structured_outputs and guided_* fields,
// llama.cpp's json_schema and grammar, the Responses API's text.format, and the tool-call formats
// of tool_choice required or a named function all become one of these.
import { createHash } from 'node:crypto';

export type GrammarSpec =
  /** Any JSON object (response_format json_object). */
  | { kind: 'json_object' }
  /** A JSON value valid against the schema (the supported subset: see json-schema-subset.ts). */
  | { kind: 'json_schema'; schema: Record<string, unknown> | boolean }
  /** The whole output matches the regular expression. */
  | { kind: 'regex'; pattern: string }
  /** xgrammar's EBNF (GBNF-compatible in most grammars: see README), root rule `root`. */
  | { kind: 'ebnf'; grammar: string }
  /** An xgrammar structural tag (tool calls: tags around JSON-schema arguments). */
  | { kind: 'structural_tag'; tag: Record<string, unknown> };

/** Which grammar a request uses, and the request field it came from (named in errors). */
export interface StructuredOutput {
  grammar: GrammarSpec;
  /** e.g. "response_format.json_schema.schema": where a rejected grammar came from. */
  param: string;
}

/**
 * The compiled-grammar cache key: a SHA-256 of the spec as written. Key order is kept on purpose:
 * the order of `properties` is the order the grammar makes the model write them in.
 */
export function grammarKey(spec: GrammarSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}
