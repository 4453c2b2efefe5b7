export { PromptError, TokenizerLoadError } from './chat-message.js';
export type {
  ChatMessage,
  ChatRole,
  ContentPart,
  MediaKindPart,
  TextPart,
  ToolCall,
  ToolDefinition,
} from './chat-message.js';
export { ChatTokenizer } from './chat-tokenizer.js';
export type {
  ChatTokenizerFiles,
  ChatTokenizerOptions,
  RenderPromptOptions,
  RenderedPrompt,
} from './chat-tokenizer.js';
export { IncrementalDetokenizer, decodeTokens } from './incremental-detokenizer.js';
export type { DetokenizerOptions, TokenTextSource } from './incremental-detokenizer.js';
export { loadTokenizer } from './load-tokenizer.js';
export { StopStringMatcher } from './stop-string-matcher.js';
export type { StopStringOptions, StopStringResult } from './stop-string-matcher.js';
export { TextOutputStream } from './text-output-stream.js';
export type { TextOutputOptions, TextOutputStep } from './text-output-stream.js';
