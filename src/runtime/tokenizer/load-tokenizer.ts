// Loads the tokenizer of a model folder (docs/ARCHITECTURE.md "The model folder"): tokenizer.json,
// tokenizer_config.json and the chat template. Files are read here and handed to transformers.js
// constructors, so loading never consults the Hugging Face hub or its cache, online or not.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenizerLoadError } from './chat-message.js';
import { ChatTokenizer, type ChatTokenizerOptions } from './chat-tokenizer.js';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseObject(text: string, name: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TokenizerLoadError(`${name}: invalid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new TokenizerLoadError(`${name}: expected a JSON object`);
  return parsed as Record<string, unknown>;
}

/** A template value as Hugging Face stores it: a string, or a list of named templates. */
function templateFrom(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const named = value.find(
      (entry: unknown) =>
        typeof entry === 'object' && entry !== null && (entry as { name?: unknown }).name === 'default',
    );
    const template = (named as { template?: unknown } | undefined)?.template;
    return typeof template === 'string' ? template : undefined;
  }
  return undefined;
}

/**
 * The processor's template (chat_template.jinja, then chat_template.json) comes before the
 * tokenizer's: for vision-language checkpoints the Hugging Face processor renders with its own
 * template, and that is the one the model was evaluated with.
 */
async function readChatTemplate(directory: string, tokenizerConfig: Record<string, unknown>): Promise<string> {
  const jinja = await readOptional(join(directory, 'chat_template.jinja'));
  if (jinja !== undefined) return jinja;
  const json = await readOptional(join(directory, 'chat_template.json'));
  if (json !== undefined) {
    const template = templateFrom(parseObject(json, 'chat_template.json').chat_template);
    if (template === undefined) throw new TokenizerLoadError('chat_template.json: chat_template must be a string');
    return template;
  }
  const template = templateFrom(tokenizerConfig.chat_template);
  if (template === undefined)
    throw new TokenizerLoadError(
      `${directory}: no chat template (chat_template.jinja, chat_template.json or tokenizer_config.json)`,
    );
  return template;
}

async function readRequired(directory: string, name: string): Promise<{ text: string; json: Record<string, unknown> }> {
  const text = await readOptional(join(directory, name));
  if (text === undefined) throw new TokenizerLoadError(`${directory}: ${name} is missing`);
  return { text, json: parseObject(text, name) };
}

/** The spatial merge size from preprocessor_config.json when present (Qwen2.5-VL: 2). */
async function readMergeSize(directory: string): Promise<number | undefined> {
  const text = await readOptional(join(directory, 'preprocessor_config.json'));
  if (text === undefined) return undefined;
  const value = parseObject(text, 'preprocessor_config.json').merge_size;
  return typeof value === 'number' ? value : undefined;
}

export async function loadTokenizer(
  modelDirectory: string,
  options: ChatTokenizerOptions = {},
): Promise<ChatTokenizer> {
  const [tokenizerFile, configFile] = await Promise.all([
    readRequired(modelDirectory, 'tokenizer.json'),
    readRequired(modelDirectory, 'tokenizer_config.json'),
  ]);
  const { json: tokenizerJson } = tokenizerFile;
  const { json: tokenizerConfig } = configFile;
  const chatTemplate = await readChatTemplate(modelDirectory, tokenizerConfig);
  const spatialMergeSize = options.spatialMergeSize ?? (await readMergeSize(modelDirectory));
  return new ChatTokenizer(
    {
      tokenizerJson,
      tokenizerConfig,
      chatTemplate,
      texts: { tokenizerJson: tokenizerFile.text, tokenizerConfig: configFile.text },
    },
    {
      spatialMergeSize,
      ...(options.toolChatTemplate === undefined ? {} : { toolChatTemplate: options.toolChatTemplate }),
      ...(options.onWorkerFailure === undefined ? {} : { onWorkerFailure: options.onWorkerFailure }),
    },
  );
}
