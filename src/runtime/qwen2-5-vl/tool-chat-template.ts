// The chat template for conversations with tools. Qwen2.5-VL-Instruct's own template (the one the
// converter writes) renders no tools, tool calls or tool results; Qwen2.5-Instruct's does, in the
// Hermes format the model family was trained on. This is that template's tool handling (a
// "# Tools" section listing each tool's JSON inside <tools></tools> in the system turn; assistant
// calls as <tool_call>\n{"name": ..., "arguments": ...}\n</tool_call>; consecutive tool results as
// one user turn of <tool_response> blocks) joined with Qwen2.5-VL's vision placeholders and default
// system prompt. Tools and calls arrive pre-serialised (as sentinels: caller text), so the template
// prints them instead of running `tojson`.
const CONTENT =
  "{% if m.content is string %}{{ m.content }}{% else %}{% for part in m.content %}{% if part.type == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% elif part.type == 'video' %}<|vision_start|><|video_pad|><|vision_end|>{% elif part.type == 'text' %}{{ part.text }}{% endif %}{% endfor %}{% endif %}";

const TOOLS_PREAMBLE =
  '\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>';
const TOOLS_POSTAMBLE =
  '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>';

export const QWEN2_5_VL_TOOL_CHAT_TEMPLATE = [
  '{% set first = messages[0] %}',
  '<|im_start|>system\n',
  "{% if first.role == 'system' %}{% set m = first %}",
  CONTENT,
  '{% else %}You are a helpful assistant.{% endif %}',
  `{% if tools %}${TOOLS_PREAMBLE}{% for tool in tools %}\n{{ tool }}{% endfor %}${TOOLS_POSTAMBLE}{% endif %}`,
  '<|im_end|>\n',
  '{% for m in messages %}',
  "{% if m.role == 'system' and loop.first %}",
  "{% elif m.role == 'tool' %}",
  "{% if loop.first or messages[loop.index0 - 1].role != 'tool' %}<|im_start|>user{% endif %}",
  '\n<tool_response>\n',
  CONTENT,
  '\n</tool_response>',
  "{% if loop.last or messages[loop.index0 + 1].role != 'tool' %}<|im_end|>\n{% endif %}",
  "{% elif m.role == 'assistant' and m.tool_calls %}",
  '<|im_start|>assistant',
  '{% if m.content %}\n',
  CONTENT,
  '{% endif %}',
  '{% for call in m.tool_calls %}\n<tool_call>\n{{ call }}\n</tool_call>{% endfor %}',
  '<|im_end|>\n',
  '{% else %}',
  '<|im_start|>{{ m.role }}\n',
  CONTENT,
  '<|im_end|>\n',
  '{% endif %}',
  '{% endfor %}',
  '{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}',
].join('');
