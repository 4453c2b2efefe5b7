// Generated text -> OpenAI's tool calls, for requests that offered tools: the model family's parser
// (the engine's toolCallFormat) splits the text into content and calls; here they become `message.tool_calls` (non-streaming) or
// `delta.tool_calls` pieces (streaming: id, type and name first, then the arguments in pieces).
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { ToolCallParser, ToolCallPiece } from '../../../runtime/engine/engine-api.js';
import type { ChatCompletion, ChatCompletionChunk } from './schema.js';

type Message = ChatCompletion['choices'][number]['message'];
type Delta = Static<typeof ChatCompletionChunk>['choices'][number]['delta'];

export function toolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}

/** The finish reason OpenAI sends: tool_calls when the answer ended normally after making calls. */
export function finishWithCalls(reason: 'stop' | 'length', calls: number): 'stop' | 'length' | 'tool_calls' {
  return reason === 'stop' && calls > 0 ? 'tool_calls' : reason;
}

/** The whole answer as a message: content outside the calls (null when there is none) and the calls. */
export function toolCallMessage(text: string, parser: ToolCallParser): Message {
  const pieces = [...parser.push(text), ...parser.finish()];
  const content = pieces.flatMap((piece) => (piece.kind === 'content' ? [piece.text] : [])).join('');
  const calls: NonNullable<Message['tool_calls']> = [];
  for (const piece of pieces) {
    if (piece.kind === 'call')
      calls.push({ id: toolCallId(), type: 'function', function: { name: piece.name, arguments: '' } });
    else if (piece.kind === 'arguments') calls[piece.index]!.function.arguments += piece.text;
  }
  if (calls.length === 0) return { role: 'assistant', content: text, refusal: null };
  return { role: 'assistant', content: content === '' ? null : content, refusal: null, tool_calls: calls };
}

/** One choice's stream: text in, chunk deltas out. */
export class ToolCallStream {
  constructor(private readonly parser: ToolCallParser) {}

  get callCount(): number {
    return this.parser.callCount;
  }

  push(text: string): Delta[] {
    return this.parser.push(text).map(toDelta);
  }

  finish(): Delta[] {
    return this.parser.finish().map(toDelta);
  }
}

function toDelta(piece: ToolCallPiece): Delta {
  if (piece.kind === 'content') return { content: piece.text };
  if (piece.kind === 'call')
    return {
      tool_calls: [
        { index: piece.index, id: toolCallId(), type: 'function', function: { name: piece.name, arguments: '' } },
      ],
    };
  return { tool_calls: [{ index: piece.index, function: { arguments: piece.text } }] };
}
