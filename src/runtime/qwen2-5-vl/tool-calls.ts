// Qwen2.5's tool-call format (Hermes): each call is `<tool_call>\n{"name": N, "arguments": {...}}\n</tool_call>`
// in the assistant's text (vLLM's `hermes` parser reads the same). Here: the grammar that forces
// calls (tool_choice required or a named function: always a call, arguments valid against the
// function's schema) and the incremental parser that splits generated text into content and calls.
import type { ToolCallFormat, ToolCallParser, ToolCallPiece } from '../model-family.js';
import type { GrammarSpec } from '../structured-output/grammar-spec.js';
import type { ToolDefinition } from '../tokenizer/chat-message.js';
import { QWEN2_5_VL_TOOL_CHAT_TEMPLATE } from './tool-chat-template.js';

export const TOOL_CALL_BEGIN = '<tool_call>';
export const TOOL_CALL_END = '</tool_call>';

/**
 * One or more calls (only one when `parallel` is false) to the given functions, nothing else. The
 * text up to the arguments is fixed by the grammar, so the model only chooses which function and
 * writes arguments the function's JSON Schema allows.
 */
export function toolCallGrammar(
  functions: readonly Pick<ToolDefinition, 'name' | 'parameters'>[],
  parallel: boolean,
): GrammarSpec {
  return {
    kind: 'structural_tag',
    tag: {
      type: 'structural_tag',
      format: {
        type: 'tags_with_separator',
        separator: '\n',
        at_least_one: true,
        stop_after_first: !parallel,
        tags: functions.map((item) => ({
          type: 'tag',
          begin: `${TOOL_CALL_BEGIN}\n{"name": ${JSON.stringify(item.name)}, "arguments": `,
          content: { type: 'json_schema', json_schema: item.parameters ?? { type: 'object' } },
          end: `}\n${TOOL_CALL_END}`,
        })),
      },
    },
  };
}

// The head is complete once the first character of the arguments has arrived.
const CALL_HEAD = /^\s*\{\s*"name"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"arguments"\s*:\s*(?=\S)/s;

/** The length of the longest suffix of `text` that is a prefix of `tag` (text held back while a tag may be starting). */
function partialTagLength(text: string, tag: string): number {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--)
    if (text.endsWith(tag.slice(0, length))) return length;
  return 0;
}

/**
 * Splits streamed text into content and tool calls. Content is emitted as it arrives (holding back
 * a possible tag start, and whitespace that may only separate calls); a call's name once its head is
 * complete, then its arguments in pieces, always holding back from the last `}` (which may be the
 * call object's own closing brace).
 */
export class HermesToolCallParser implements ToolCallParser {
  private buffer = '';
  private inCall = false;
  private named = false;
  private argumentsStart = 0;
  private emittedArguments = 0;
  private heldSpace = '';
  private calls = 0;

  get callCount(): number {
    return this.calls;
  }

  push(text: string): ToolCallPiece[] {
    this.buffer += text;
    const pieces: ToolCallPiece[] = [];
    for (;;) {
      if (!this.inCall) {
        const begin = this.buffer.indexOf(TOOL_CALL_BEGIN);
        if (begin < 0) {
          const keep = partialTagLength(this.buffer, TOOL_CALL_BEGIN);
          this.content(this.buffer.slice(0, this.buffer.length - keep), pieces);
          this.buffer = this.buffer.slice(this.buffer.length - keep);
          return pieces;
        }
        this.content(this.buffer.slice(0, begin), pieces);
        this.buffer = this.buffer.slice(begin + TOOL_CALL_BEGIN.length);
        this.inCall = true;
        this.named = false;
      }
      if (!this.named) {
        const head = CALL_HEAD.exec(this.buffer);
        if (head === null) {
          if (!this.buffer.includes(TOOL_CALL_END)) return pieces;
          // A block that is not a call: its text is content after all.
          const end = this.buffer.indexOf(TOOL_CALL_END) + TOOL_CALL_END.length;
          this.content(TOOL_CALL_BEGIN + this.buffer.slice(0, end), pieces);
          this.buffer = this.buffer.slice(end);
          this.inCall = false;
          continue;
        }
        let name: string;
        try {
          name = JSON.parse(head[1]!) as string;
        } catch {
          name = head[1]!.slice(1, -1);
        }
        // Whitespace before a call only separates it: dropped.
        this.heldSpace = '';
        pieces.push({ kind: 'call', index: this.calls, name });
        this.named = true;
        this.argumentsStart = head[0].length;
        this.emittedArguments = 0;
      }
      const end = this.buffer.indexOf(TOOL_CALL_END, this.argumentsStart);
      const region = end < 0 ? this.buffer : this.buffer.slice(0, end);
      const close = region.lastIndexOf('}');
      // Hold back from the last brace: it may be the call object's own (it is, once the block ended).
      const argumentsEnd = close >= this.argumentsStart ? close : region.length;
      const next = this.buffer.slice(
        this.argumentsStart + this.emittedArguments,
        Math.max(argumentsEnd, this.argumentsStart + this.emittedArguments),
      );
      if (next !== '') {
        const text = end < 0 ? next : next.trimEnd();
        if (text !== '') pieces.push({ kind: 'arguments', index: this.calls, text });
        this.emittedArguments += next.length;
      }
      if (end < 0) return pieces;
      this.buffer = this.buffer.slice(end + TOOL_CALL_END.length);
      this.inCall = false;
      this.calls += 1;
    }
  }

  /** The end of the text: whatever was held back. */
  finish(): ToolCallPiece[] {
    const pieces: ToolCallPiece[] = [];
    if (!this.inCall) {
      this.content(this.buffer, pieces);
      if (this.calls === 0 && this.heldSpace !== '') pieces.push({ kind: 'content', text: this.heldSpace });
    } else if (this.named) {
      const rest = this.buffer.slice(this.argumentsStart + this.emittedArguments);
      if (rest !== '') pieces.push({ kind: 'arguments', index: this.calls, text: rest });
      this.calls += 1;
    } else {
      this.content(TOOL_CALL_BEGIN + this.buffer, pieces);
    }
    this.buffer = '';
    this.inCall = false;
    return pieces;
  }

  private content(text: string, pieces: ToolCallPiece[]): void {
    // Trailing whitespace waits: before a call it is only a separator and is dropped.
    const body = text.trimEnd();
    if (body === '') {
      this.heldSpace += text;
      return;
    }
    pieces.push({ kind: 'content', text: this.heldSpace + body });
    this.heldSpace = text.slice(body.length);
  }
}

/** Qwen2.5-VL's ModelFamily.toolCallFormat. */
export const hermesToolCallFormat: ToolCallFormat = {
  chatTemplate: QWEN2_5_VL_TOOL_CHAT_TEMPLATE,
  grammar: toolCallGrammar,
  parser: () => new HermesToolCallParser(),
};
