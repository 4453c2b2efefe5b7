// A request's grammar at admission: checked and compiled (in the grammar worker, while the prompt
// is prepared), then one matcher per generated sequence.
import { EngineError } from '../engine/engine-errors.js';
import type { SamplingOptions } from '../engine/engine-api.js';
import { GrammarConstraint } from './grammar-constraint.js';
import { GrammarCompileError, type GrammarService } from './grammar-service.js';
import { checkJsonSchemaSubset, UnsupportedSchemaError } from './json-schema-subset.js';

/** Compiles the request's grammar (once per distinct spec); resolves with its cache key, if it has one. */
export async function compileRequestGrammar(
  grammars: GrammarService | undefined,
  sampling: SamplingOptions,
): Promise<string | undefined> {
  const output = sampling.structuredOutput;
  if (output === undefined) return undefined;
  const invalid = (message: string) => new EngineError('invalid_request', message, { param: output.param });
  if (sampling.choices !== undefined) throw invalid('structured choice and a grammar cannot be combined');
  if (grammars === undefined) throw invalid('this engine has no grammar support');
  try {
    if (output.grammar.kind === 'json_schema') checkJsonSchemaSubset(output.grammar.schema);
    return await grammars.compile(output.grammar);
  } catch (error) {
    if (error instanceof UnsupportedSchemaError) throw invalid(error.message);
    if (error instanceof GrammarCompileError) throw invalid(`the grammar is not valid: ${error.message}`);
    throw error;
  }
}

/** A new matcher for one sequence of a request whose grammar compiled under `key`. */
export function startGrammarConstraint(
  grammars: GrammarService | undefined,
  sampling: SamplingOptions,
  key: string | undefined,
  stopTokenIds: readonly number[],
): GrammarConstraint | undefined {
  const output = sampling.structuredOutput;
  if (output === undefined || key === undefined || grammars === undefined) return undefined;
  const { matcher, first } = grammars.startMatcher(output.grammar, key);
  return new GrammarConstraint(grammars, matcher, first, new Set(stopTokenIds));
}
