// A Qwen2.5-VL model folder with only the tokenizer files, written once per test file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTokenizerFiles } from '../../../src/convert/tokenizer-files.js';

export async function makeTokenizerFolder(): Promise<{ directory: string; remove: () => Promise<void> }> {
  const directory = await mkdtemp(join(tmpdir(), 'shotvl-tokenizer-'));
  await writeTokenizerFiles(directory);
  return { directory, remove: () => rm(directory, { recursive: true, force: true }) };
}

export const IM_START = 151644;
export const IM_END = 151645;
export const VISION_START = 151652;
export const VISION_END = 151653;
export const IMAGE_PAD = 151655;
export const VIDEO_PAD = 151656;
/** Ids from here up are added tokens; plain text must never produce them. */
export const FIRST_ADDED_ID = 151643;

/** No lone surrogate (String.prototype.isWellFormed is ES2024, past this project's lib). */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}
