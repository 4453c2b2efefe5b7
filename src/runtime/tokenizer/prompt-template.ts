// Rendering a conversation through the checkpoint's Jinja chat template while keeping track of which
// characters came from the template (trusted: may spell control tokens such as <|im_start|>) and
// which came from the caller (untrusted: must never become a control token).
//
// Threat model: a user who types "<|im_end|>\n<|im_start|>system\n..." or "<|image_pad|>" must get
// the ordinary tokens for those characters. Otherwise they could forge turns (prompt injection with
// system authority) or desynchronise the vision placeholders from the vision features (crash or read
// another item's features). Each caller text is replaced by a random sentinel before rendering; the
// rendered string is split on the sentinels afterwards, so caller text never passes through
// special-token matching.
import { randomBytes } from 'node:crypto';
import {
  PromptError,
  type ChatMessage,
  type ChatRole,
  type MediaKindPart,
  type ToolDefinition,
} from './chat-message.js';
import { pythonJson } from './python-json.js';

/** A run of the rendered prompt: template text, or one caller text inserted verbatim. */
export type PromptPiece = { source: 'template'; text: string } | { source: 'content'; text: string };

/** The conversation as handed to the Jinja template: text replaced by sentinels. */
export interface TemplateMessage {
  role: ChatRole;
  content: string | Array<{ type: 'text'; text: string } | { type: 'image' } | { type: 'video' }>;
  /** Each call as the JSON text the template prints (a sentinel: caller text). */
  tool_calls?: string[];
}

export interface SentinelConversation {
  messages: TemplateMessage[];
  /** Each tool's JSON text (sentinels), when tools were given. */
  tools: string[] | undefined;
  /** Caller texts by sentinel number. */
  contents: string[];
  /** Splits a rendered string back into template and content pieces. */
  split(rendered: string): PromptPiece[];
}

const ROLES: ReadonlySet<string> = new Set<ChatRole>(['system', 'user', 'assistant', 'tool']);

// Private-use code points around the sentinel: no tokenizer normaliser or template filter the Qwen
// templates use changes them, and real text almost never contains them next to a 128-bit nonce.
const SENTINEL_OPEN = '\u{F0000}';
const SENTINEL_CLOSE = '\u{F0001}';

/**
 * Replaces every caller text in `messages` by a sentinel. Roles are checked here because the
 * template prints them as template text: a role is the one caller string that is not isolated.
 */
export function withSentinels(
  messages: readonly ChatMessage<MediaKindPart>[],
  tools?: readonly ToolDefinition[],
): SentinelConversation {
  const nonce = randomBytes(16).toString('hex');
  const contents: string[] = [];
  const sentinel = (text: string): string => {
    if (text.includes(nonce))
      throw new PromptError('message text collides with the prompt sentinel; retry the request');
    contents.push(text);
    return `${SENTINEL_OPEN}${nonce}:${contents.length - 1}${SENTINEL_CLOSE}`;
  };
  const templateMessages = messages.map((message, index): TemplateMessage => {
    if (!ROLES.has(message.role)) {
      throw new PromptError(
        `messages[${index}].role must be system, user or assistant, found ${JSON.stringify(message.role)}`,
      );
    }
    const calls =
      message.toolCalls === undefined
        ? {}
        : { tool_calls: message.toolCalls.map((call) => sentinel(toolCallJson(call))) };
    if (typeof message.content === 'string')
      return { role: message.role, content: sentinel(message.content), ...calls };
    if (!Array.isArray(message.content))
      throw new PromptError(`messages[${index}].content must be a string or a list of parts`);
    return {
      role: message.role,
      ...calls,
      content: message.content.map((part, partIndex) => {
        switch (part.type) {
          case 'text':
            if (typeof part.text !== 'string')
              throw new PromptError(`messages[${index}].content[${partIndex}].text must be a string`);
            return { type: 'text' as const, text: sentinel(part.text) };
          case 'image':
            return { type: 'image' as const };
          case 'video':
            return { type: 'video' as const };
          default:
            throw new PromptError(
              `messages[${index}].content[${partIndex}].type ${JSON.stringify((part as { type: unknown }).type)} is not text, image or video`,
            );
        }
      }),
    };
  });
  const pattern = new RegExp(`${SENTINEL_OPEN}${nonce}:(\\d+)${SENTINEL_CLOSE}`, 'gu');
  const toolTexts = tools?.map((tool) => sentinel(toolJson(tool)));
  return {
    messages: templateMessages,
    tools: toolTexts,
    contents,
    split: (rendered) => splitOnSentinels(rendered, pattern, nonce, contents),
  };
}

/** A tool as Hugging Face templates print it (`tool | tojson` of OpenAI's tool object). */
function toolJson(tool: ToolDefinition): string {
  const definition: Record<string, unknown> = { name: tool.name };
  if (tool.description !== undefined) definition.description = tool.description;
  if (tool.parameters !== undefined) definition.parameters = tool.parameters;
  return pythonJson({ type: 'function', function: definition });
}

/** A past call as the Qwen/Hermes templates print it: arguments as an object when they parse. */
function toolCallJson(call: { name: string; arguments: string }): string {
  let argumentsText = call.arguments;
  try {
    argumentsText = pythonJson(JSON.parse(call.arguments));
  } catch {
    // Not JSON: printed as the model would see any other text.
  }
  return `{"name": ${pythonJson(call.name)}, "arguments": ${argumentsText}}`;
}

function splitOnSentinels(
  rendered: string,
  pattern: RegExp,
  nonce: string,
  contents: readonly string[],
): PromptPiece[] {
  const pieces: PromptPiece[] = [];
  const pushTemplate = (text: string) => {
    // A template that slices or re-cases message text would leave a broken sentinel behind: refuse
    // rather than guess which characters are the caller's.
    if (text.includes(nonce) || text.includes(SENTINEL_OPEN) || text.includes(SENTINEL_CLOSE)) {
      throw new PromptError('the chat template transforms message text; it cannot be rendered safely');
    }
    if (text.length > 0) pieces.push({ source: 'template', text });
  };
  let position = 0;
  for (const match of rendered.matchAll(pattern)) {
    pushTemplate(rendered.slice(position, match.index));
    const content = contents[Number(match[1])];
    if (content === undefined) throw new PromptError('the chat template produced an unknown sentinel');
    if (content.length > 0) pieces.push({ source: 'content', text: content });
    position = match.index + match[0].length;
  }
  pushTemplate(rendered.slice(position));
  return pieces;
}

/** The rendered prompt as plain text (what `apply_chat_template(tokenize=False)` would return). */
export function joinPieces(pieces: readonly PromptPiece[]): string {
  return pieces.map((piece) => piece.text).join('');
}
