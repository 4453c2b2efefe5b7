// tools, tool_choice and parallel_tool_calls -> the functions the prompt offers, and for
// tool_choice required or a named function the grammar that makes the answer a valid call (the
// model family's tool-call format, arguments valid against the function's parameters schema).
import type { StructuredOutput, ToolCallFormat, ToolDefinition } from '../../../runtime/engine/engine-api.js';
import {
  checkJsonSchemaSubset,
  UnsupportedSchemaError,
} from '../../../runtime/structured-output/json-schema-subset.js';
import { ApiError } from '../../errors.js';
import type { ChatCompletionRequest } from './schema.js';

export interface ToolPlan {
  /** Offered to the model; absent without tools or with tool_choice none. */
  tools: ToolDefinition[] | undefined;
  /** The grammar forcing a call (required or a named function). */
  grammar: StructuredOutput | undefined;
}

function invalid(param: string, message: string): ApiError {
  return new ApiError('invalid_request', { message, param });
}

export function describeChoice(body: ChatCompletionRequest): string {
  const choice = body.tool_choice;
  return typeof choice === 'object' ? `function ${choice.function.name}` : String(choice);
}

export function planTools(body: ChatCompletionRequest, format: Pick<ToolCallFormat, 'grammar'>): ToolPlan {
  const tools = body.tools ?? [];
  const choice = body.tool_choice ?? (tools.length > 0 ? 'auto' : 'none');
  if (choice === 'none') return { tools: undefined, grammar: undefined };
  if (tools.length === 0) throw invalid('tool_choice', `tool_choice '${describeChoice(body)}' needs 'tools'.`);
  const names = new Set<string>();
  const definitions = tools.map((tool, index): ToolDefinition => {
    const { name, description, parameters } = tool.function;
    if (names.has(name)) throw invalid(`tools[${index}].function.name`, `Two tools are named '${name}'.`);
    names.add(name);
    if (parameters !== undefined) {
      try {
        checkJsonSchemaSubset(parameters);
      } catch (error) {
        const param = `tools[${index}].function.parameters`;
        if (error instanceof UnsupportedSchemaError) throw invalid(param, `Invalid '${param}': ${error.message}.`);
        throw error;
      }
    }
    return {
      name,
      ...(description === undefined ? {} : { description }),
      ...(parameters === undefined ? {} : { parameters }),
    };
  });
  if (choice === 'auto') return { tools: definitions, grammar: undefined };
  const parallel = body.parallel_tool_calls !== false;
  if (choice === 'required')
    return { tools: definitions, grammar: { grammar: format.grammar(definitions, parallel), param: 'tools' } };
  const named = definitions.find((item) => item.name === choice.function.name);
  if (named === undefined)
    throw invalid(
      'tool_choice.function.name',
      `tool_choice names '${choice.function.name}', which is not among 'tools'.`,
    );
  // A named function: exactly one call to it, as OpenAI answers.
  return { tools: definitions, grammar: { grammar: format.grammar([named], false), param: 'tools' } };
}
