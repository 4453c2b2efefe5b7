// What the generic engine needs from a model family on its own side (the rest of the family is
// its runner, behind ModelRunner). A second family is a second folder beside qwen2-5-vl/
// implementing this and a runner; the engine, scheduler, sampling and server do not change.
import type { GridThw } from '../media/patchify.js';
import type { EncodedMedia } from './engine/vision-cache.js';
import type { RunnerPrompt } from './runner/model-runner.js';
import type { GrammarSpec } from './structured-output/grammar-spec.js';
import type { GrammarVocabularyType } from './structured-output/grammar-protocol.js';
import type { ToolDefinition } from './tokenizer/chat-message.js';

/** A piece of one choice's generated text, split into content and tool calls. */
export type ToolCallPiece =
  | { kind: 'content'; text: string }
  /** A call began: its position among the answer's calls and the function's name. */
  | { kind: 'call'; index: number; name: string }
  /** More of a call's arguments text (the pieces of one call concatenate to its arguments). */
  | { kind: 'arguments'; index: number; text: string };

/** Splits one choice's streamed text into content and tool calls. */
export interface ToolCallParser {
  /** Calls completed so far. */
  readonly callCount: number;
  push(text: string): ToolCallPiece[];
  /** The end of the text: whatever was held back. */
  finish(): ToolCallPiece[];
}

/** How a family's models call functions: in the prompt, in the grammar that forces calls, in their output. */
export interface ToolCallFormat {
  /** The chat template for conversations with tools, tool calls or tool results (when the model's own renders none). */
  readonly chatTemplate: string;
  /** One or more calls (only one unless `parallel`) to the given functions, and nothing else. */
  grammar(functions: readonly Pick<ToolDefinition, 'name' | 'parameters'>[], parallel: boolean): GrammarSpec;
  /** A parser for one choice's text. */
  parser(): ToolCallParser;
}

export interface ModelFamily {
  /** How this family's models call tools (the engine API hands it to the server as engine.toolCallFormat). */
  readonly toolCallFormat: ToolCallFormat;
  /** How the family's tokenizer writes token bytes, for the grammar engine's vocabulary. */
  readonly grammarVocabularyType: GrammarVocabularyType;
  /**
   * Language-model tokens (pad tokens in the prompt) a media item with this grid occupies. Throws
   * InvalidGridError (a 400) for a grid the model cannot run, or one that disagrees with the number
   * of pixel values preprocessing produced (when given).
   */
  mediaTokenCount(grid: GridThw, kind: 'image' | 'video', pixelValueCount?: number): number;
  /**
   * Rendered token ids and their encoded media (in prompt order) -> the prompt the family's runner
   * runs. Throws a ShotvlError the API answers with 400 when the prompt's own inputs cannot run
   * (positions out of range, a grid that does not match its pad tokens), so no step ever sees them.
   */
  layoutPrompt(
    tokenIds: Int32Array,
    media: readonly Pick<EncodedMedia, 'kind' | 'gridThw' | 'secondPerGridTs' | 'featureId'>[],
    limits: { kvCapacity: number },
  ): RunnerPrompt;
}
