import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QWEN2_5_VL_CHAT_TEMPLATE } from '../../../src/convert/tokenizer-files.js';
import { TokenizerLoadError } from '../../../src/runtime/tokenizer/chat-message.js';
import { loadTokenizer } from '../../../src/runtime/tokenizer/load-tokenizer.js';
import { IMAGE_PAD, makeTokenizerFolder } from './tokenizer-fixture.js';

let folder: Awaited<ReturnType<typeof makeTokenizerFolder>>;
let scratch: string;

beforeAll(async () => {
  folder = await makeTokenizerFolder();
});

afterAll(async () => {
  await folder.remove();
});

async function copyOf(names: readonly string[]): Promise<string> {
  scratch = await mkdtemp(join(tmpdir(), 'shotvl-load-'));
  for (const name of names) await copyFile(join(folder.directory, name), join(scratch, name));
  return scratch;
}

describe('loadTokenizer', () => {
  it('prefers chat_template.jinja, then chat_template.json, then tokenizer_config.json', async () => {
    const directory = await copyOf(['tokenizer.json', 'tokenizer_config.json', 'chat_template.json']);
    try {
      expect((await loadTokenizer(directory)).chatTemplate).toBe(QWEN2_5_VL_CHAT_TEMPLATE);
      await writeFile(join(directory, 'chat_template.json'), JSON.stringify({ chat_template: 'from json' }));
      expect((await loadTokenizer(directory)).chatTemplate).toBe('from json');
      await writeFile(join(directory, 'chat_template.jinja'), 'from jinja');
      expect((await loadTokenizer(directory)).chatTemplate).toBe('from jinja');
      await unlink(join(directory, 'chat_template.jinja'));
      await unlink(join(directory, 'chat_template.json'));
      expect((await loadTokenizer(directory)).chatTemplate).toBe(QWEN2_5_VL_CHAT_TEMPLATE);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('takes the merge size from preprocessor_config.json', async () => {
    const directory = await copyOf(['tokenizer.json', 'tokenizer_config.json']);
    try {
      await writeFile(join(directory, 'preprocessor_config.json'), JSON.stringify({ merge_size: 1 }));
      const tokenizer = await loadTokenizer(directory);
      const { tokenIds } = tokenizer.renderPrompt([{ role: 'user', content: [{ type: 'image' }] }], {
        imageGrids: [[1, 2, 3] as const],
      });
      expect(tokenIds.filter((id) => id === IMAGE_PAD)).toHaveLength(6);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('reports missing or malformed files', async () => {
    const directory = await copyOf(['tokenizer_config.json']);
    try {
      await expect(loadTokenizer(directory)).rejects.toThrow(TokenizerLoadError);
      await expect(loadTokenizer(directory)).rejects.toThrow(/tokenizer\.json is missing/);
      await writeFile(join(directory, 'tokenizer.json'), '{not json');
      await expect(loadTokenizer(directory)).rejects.toThrow(/tokenizer\.json: invalid JSON/);
      await copyFile(join(folder.directory, 'tokenizer.json'), join(directory, 'tokenizer.json'));
      const config = JSON.parse(await readFile(join(directory, 'tokenizer_config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      delete config.chat_template;
      await writeFile(join(directory, 'tokenizer_config.json'), JSON.stringify(config));
      await expect(loadTokenizer(directory)).rejects.toThrow(/no chat template/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
