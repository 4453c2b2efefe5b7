// A request's grammar at admission: checked and compiled (in the grammar worker, while the prompt
// is prepared), then one matcher per generated sequence.
import { EngineError } from '../engine/engine-errors.js';
import type { SamplingOptions } from '../engine/engine-api.js';
import { GrammarConstraint } from './grammar-constraint.js';
import { GrammarCompileError, GrammarTimeoutError, GrammarWorkerError } from './grammar-errors.js';
import type { GrammarService } from './grammar-service.js';
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
    throw grammarFailure(error, output.param);
  }
}

/**
 * A failure of the grammar worker as the engine reports it: the grammar's own fault (not valid,
 * too slow to compile or match) is a 400 naming the request field; a crashed worker is a 503.
 */
export function grammarFailure(error: unknown, param: string | undefined): unknown {
  const details = param === undefined ? {} : { param };
  if (error instanceof GrammarCompileError)
    return new EngineError('invalid_request', `the grammar is not valid: ${error.message}`, details);
  if (error instanceof GrammarTimeoutError)
    return new EngineError(
      'invalid_request',
      `${error.message} (this server's --grammar-compile-timeout); simplify it, e.g. fewer nested repetitions`,
      details,
    );
  if (error instanceof GrammarWorkerError)
    return new EngineError('grammar_unavailable', error.message, {
      ...details,
      retryAfterSeconds: error.retryAfterSeconds,
      cause: error,
    });
  return error;
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
