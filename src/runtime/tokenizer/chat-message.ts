// The conversation shape the tokenizer renders: OpenAI chat messages after the server has fetched
// and decoded media. Media parts carry no pixels here; the caller passes each item's patch grid
// (from preprocessing) in the order the parts appear, and the tokenizer reserves one pad token per
// merged patch for the vision features the model runner will scatter in.
import { ShotvlError } from '../../util/shotvl-error.js';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image';
}

export interface VideoPart {
  type: 'video';
}

export type ContentPart = TextPart | ImagePart | VideoPart;

export interface ChatMessage {
  role: ChatRole;
  content: string | readonly ContentPart[];
  /** An assistant turn's tool calls: name and arguments (JSON text). */
  toolCalls?: readonly { name: string; arguments: string }[];
}

/** A function offered to the model: rendered into the prompt as the model's template does. */
export interface ToolSpec {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
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
