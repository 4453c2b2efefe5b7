// Size limits a parsed body can be checked against cheaply, before it is copied or validated:
// the message (or /tokenize prompt) text bytes and the structured-choice strings (issue 17).
export interface BodySizeLimits {
  maxPromptBytes: number;
  maxChoiceStrings: number;
  maxChoiceCharacters: number;
  maxChoiceBytes: number;
}

export interface SizeRefusal {
  code: 'context_length_exceeded' | 'invalid_request';
  param: string;
  message: string;
}

function textBytes(body: Record<string, unknown>): number {
  let bytes = typeof body.prompt === 'string' ? Buffer.byteLength(body.prompt) : 0;
  if (!Array.isArray(body.messages)) return bytes;
  for (const message of body.messages as unknown[]) {
    const content = (message as { content?: unknown } | null)?.content;
    if (typeof content === 'string') bytes += Buffer.byteLength(content);
    else if (Array.isArray(content))
      for (const part of content as unknown[]) {
        const text = (part as { text?: unknown } | null)?.text;
        if (typeof text === 'string') bytes += Buffer.byteLength(text);
      }
  }
  return bytes;
}

function choiceRefusal(choices: unknown, param: string, limits: BodySizeLimits): SizeRefusal | undefined {
  if (!Array.isArray(choices)) return undefined;
  if (choices.length > limits.maxChoiceStrings)
    return {
      code: 'invalid_request',
      param,
      message: `'${param}' must have at most ${limits.maxChoiceStrings} items.`,
    };
  let bytes = 0;
  for (const [index, choice] of choices.entries()) {
    if (typeof choice !== 'string') continue;
    if (choice.length > limits.maxChoiceCharacters)
      return {
        code: 'invalid_request',
        param: `${param}[${index}]`,
        message: `'${param}[${index}]' must be at most ${limits.maxChoiceCharacters} characters long.`,
      };
    bytes += Buffer.byteLength(choice);
  }
  return bytes > limits.maxChoiceBytes
    ? {
        code: 'invalid_request',
        param,
        message: `The structured choice strings hold ${bytes} bytes together; at most ${limits.maxChoiceBytes} are allowed.`,
      }
    : undefined;
}

/** Why `body` is refused by its sizes alone, or undefined. */
export function sizeRefusal(body: unknown, limits: BodySizeLimits): SizeRefusal | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const bytes = textBytes(record);
  if (bytes > limits.maxPromptBytes)
    return {
      code: 'context_length_exceeded',
      param: typeof record.prompt === 'string' ? 'prompt' : 'messages',
      message: `The request holds ${bytes} bytes of text; this server tokenizes at most ${limits.maxPromptBytes} bytes per request.`,
    };
  const structured = record.structured_outputs as { choice?: unknown } | undefined;
  return (
    choiceRefusal(record.guided_choice, 'guided_choice', limits) ??
    choiceRefusal(structured?.choice, 'structured_outputs.choice', limits)
  );
}
