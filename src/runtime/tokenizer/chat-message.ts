// The conversation: OpenAI chat messages after the server has resolved their media into MediaItems
// (src/media). This is the one message type: the engine API re-exports it, the engine takes it,
// and the tokenizer renders it. The tokenizer reads only a media part's `type` (MediaKindPart);
// the caller passes each item's patch grid (from preprocessing) in the order the parts appear, and
// the tokenizer reserves one pad token per merged patch for the vision features the model runner
// will place there.
import type { MediaItem } from '../../media/preprocess-media.js';
import { ShotvlError } from '../../util/shotvl-error.js';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}

/** What the chat template reads of a media part: its kind. */
export type MediaKindPart = Pick<MediaItem, 'type'>;

export type ContentPart<Media extends MediaKindPart = MediaItem> = TextPart | Media;

export interface ChatMessage<Media extends MediaKindPart = MediaItem> {
  role: ChatRole;
  content: string | readonly ContentPart<Media>[];
  /** Calls an assistant message made (rendered back into the prompt in the model's tool-call format). */
  toolCalls?: readonly ToolCall[];
}

/** A function the model may call (OpenAI's tools[].function), rendered into the prompt as the model's template does. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters?: Record<string, unknown>;
}

export interface ToolCall {
  name: string;
  /** The arguments as JSON text. */
  arguments: string;
}

/** A request the chat template or tokenizer cannot turn into a prompt (the caller's fault: HTTP 400). */
export class PromptError extends ShotvlError<'invalid_prompt'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_prompt', message, options);
  }
}

/** A model folder whose tokenizer files are missing or malformed. */
export class TokenizerLoadError extends ShotvlError<'tokenizer_invalid'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('tokenizer_invalid', message, options);
  }
}
