import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ToolCallPiece } from '../../../src/runtime/model-family.js';
import { HermesToolCallParser as ToolCallParser } from '../../../src/runtime/qwen2-5-vl/tool-calls.js';

function parse(text: string, cuts: number[]): ToolCallPiece[] {
  const parser = new ToolCallParser();
  const pieces: ToolCallPiece[] = [];
  let start = 0;
  for (const cut of [...cuts, text.length]) {
    pieces.push(...parser.push(text.slice(start, Math.max(start, cut))));
    start = Math.max(start, cut);
  }
  return [...pieces, ...parser.finish()];
}

function summary(pieces: ToolCallPiece[]) {
  const calls: { name: string; arguments: string }[] = [];
  let content = '';
  for (const piece of pieces) {
    if (piece.kind === 'content') content += piece.text;
    else if (piece.kind === 'call') calls.push({ name: piece.name, arguments: '' });
    else calls[piece.index]!.arguments += piece.text;
  }
  return { content, calls };
}

const TEXT =
  'Let me check.\n<tool_call>\n{"name": "get_shot_size", "arguments": {"frame": 3, "crop": {"x": 1}}}\n</tool_call>\n' +
  '<tool_call>\n{"name": "get_lens", "arguments": {}}\n</tool_call>';

describe("Qwen's Hermes tool-call parser", () => {
  it('splits content and calls the same way however the text is cut', () => {
    const expected = {
      content: 'Let me check.',
      calls: [
        { name: 'get_shot_size', arguments: '{"frame": 3, "crop": {"x": 1}}' },
        { name: 'get_lens', arguments: '{}' },
      ],
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: TEXT.length }), { maxLength: 40 }), (cuts) => {
        expect(
          summary(
            parse(
              TEXT,
              [...cuts].sort((a, b) => a - b),
            ),
          ),
        ).toEqual(expected);
      }),
    );
  });

  it('leaves text without calls, and blocks that are not calls, as content', () => {
    expect(summary(parse('A wide shot.', [3]))).toEqual({ content: 'A wide shot.', calls: [] });
    expect(summary(parse('x <tool_call>oops</tool_call>', [5]))).toEqual({
      content: 'x <tool_call>oops</tool_call>',
      calls: [],
    });
  });

  it('gives a call cut off by max_tokens the arguments it has', () => {
    expect(summary(parse('<tool_call>\n{"name": "f", "arguments": {"a": [1, 2', []))).toEqual({
      content: '',
      calls: [{ name: 'f', arguments: '{"a": [1, 2' }],
    });
  });
});
