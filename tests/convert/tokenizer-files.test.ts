import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QWEN2_5_VL_CHAT_TEMPLATE, writeTokenizerFiles } from '../../src/convert/tokenizer-files.js';

let directory: string;
let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tokenizer-files-'));
  await writeTokenizerFiles(directory);
  // The standard transformers.js loader, forbidden from going online: the files must be enough.
  env.allowRemoteModels = false;
  tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('writeTokenizerFiles', () => {
  it('gives the control tokens Qwen2.5-VL ids', () => {
    const expected: Record<string, number> = {
      '<|endoftext|>': 151643,
      '<|im_start|>': 151644,
      '<|im_end|>': 151645,
      '<|object_ref_start|>': 151646,
      '<|box_end|>': 151649,
      '<|vision_start|>': 151652,
      '<|vision_end|>': 151653,
      '<|vision_pad|>': 151654,
      '<|image_pad|>': 151655,
      '<|video_pad|>': 151656,
      '<tool_call>': 151657,
      '<|fim_prefix|>': 151659,
      '<|file_sep|>': 151664,
    };
    for (const [content, id] of Object.entries(expected)) {
      expect(tokenizer.encode(content, { add_special_tokens: false }), content).toEqual([id]);
    }
    expect(tokenizer.eos_token).toBe('<|im_end|>');
    expect(tokenizer.eos_token_id).toBe(151645);
    expect(tokenizer.pad_token_id).toBe(151643);
    expect(tokenizer.bos_token_id).toBeUndefined();
    expect(tokenizer.all_special_ids).toEqual(Array.from({ length: 14 }, (_, index) => 151643 + index));
  });

  it('drops the Qwen3-only added tokens: <think> is ordinary text', () => {
    for (const text of ['<think>', '</think>', '<tool_response>', '</tool_response>']) {
      const ids = tokenizer.encode(text, { add_special_tokens: false });
      expect(ids.length, text).toBeGreaterThan(1);
      expect(Math.max(...ids), text).toBeLessThan(151643);
      expect(tokenizer.decode(ids)).toBe(text);
    }
    expect(tokenizer.get_vocab().size).toBe(151665);
  });

  it('keeps the Qwen BPE', () => {
    // Ids of the shared Qwen2/Qwen2.5/Qwen3 vocabulary.
    expect(tokenizer.encode('Hello world', { add_special_tokens: false })).toEqual([9707, 1879]);
    expect(tokenizer.encode('\n', { add_special_tokens: false })).toEqual([198]);
  });

  it('ships the Qwen2.5-VL-Instruct chat template in both places', async () => {
    const config = JSON.parse(await readFile(join(directory, 'tokenizer_config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const chatTemplateJson = JSON.parse(await readFile(join(directory, 'chat_template.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(config.chat_template).toBe(QWEN2_5_VL_CHAT_TEMPLATE);
    expect(chatTemplateJson.chat_template).toBe(QWEN2_5_VL_CHAT_TEMPLATE);
    const rendered = tokenizer.apply_chat_template(
      [
        {
          role: 'user',
          content: [{ type: 'image' }, { type: 'video' }, { type: 'text', text: 'What shot size is this?' }],
        },
        { role: 'assistant', content: 'Close-up.' },
        { role: 'user', content: 'And the angle?' },
      ],
      { tokenize: false, add_generation_prompt: true },
    );
    expect(rendered).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|video_pad|><|vision_end|>What shot size is this?<|im_end|>\n' +
        '<|im_start|>assistant\nClose-up.<|im_end|>\n' +
        '<|im_start|>user\nAnd the angle?<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    const withSystem = tokenizer.apply_chat_template(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      { tokenize: false, add_generation_prompt: false },
    );
    expect(withSystem).toBe('<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n');
  });

  it('writes the same bytes every time', async () => {
    const again = await mkdtemp(join(tmpdir(), 'tokenizer-files-'));
    try {
      await writeTokenizerFiles(again);
      for (const name of ['tokenizer.json', 'tokenizer_config.json', 'chat_template.json']) {
        expect((await readFile(join(again, name))).equals(await readFile(join(directory, name))), name).toBe(true);
      }
    } finally {
      await rm(again, { recursive: true, force: true });
    }
  });
});
