// The tool-call format of the served model family (Qwen2.5's Hermes-style <tool_call> blocks), for
// the HTTP layer's tool calling. The server reaches family code only through entries like this one
// (docs/ARCHITECTURE.md, "The engine"); a second family would choose its format here.
export {
  TOOL_CALL_BEGIN,
  TOOL_CALL_END,
  ToolCallParser,
  toolCallGrammar,
  type ToolCallPiece,
  type ToolGrammarFunction,
} from './qwen2-5-vl/tool-calls.js';
