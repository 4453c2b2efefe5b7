// The non-ONNX files of a model folder: config, tokenizer, chat template, processor and
// generation settings, copied from the checkpoint or completed with Qwen2.5-VL's defaults.
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTokenizerFiles } from './tokenizer-files.js';

const COPIED_IF_PRESENT = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'chat_template.json',
  'vocab.json',
  'merges.txt',
  'special_tokens_map.json',
  'added_tokens.json',
];

/**
 * Qwen2.5-VL's preprocessor_config.json as the official checkpoints ship it. Keys the
 * checkpoint's own file lacks are filled from here, so the runtime always finds every setting.
 */
export const QWEN2_5_VL_PREPROCESSOR_DEFAULTS = {
  min_pixels: 3136,
  max_pixels: 12845056,
  patch_size: 14,
  temporal_patch_size: 2,
  merge_size: 2,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  image_processor_type: 'Qwen2VLImageProcessor',
  processor_class: 'Qwen2_5_VLProcessor',
} as const;

/** Copies or writes the non-ONNX files into `outputDir`; returns the names written. */
export async function writeModelFolderFiles(checkpointDir: string, outputDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const name of COPIED_IF_PRESENT) {
    const path = join(checkpointDir, name);
    if (!existsSync(path)) continue;
    copyFileSync(path, join(outputDir, name));
    // The source may be read-only (a shared cache); the model folder is ours to manage.
    chmodSync(join(outputDir, name), 0o644);
    written.push(name);
  }
  if (!written.includes('tokenizer.json')) {
    // Checkpoints without tokenizer files (such as the golden tiny ones) get Qwen2.5-VL's own
    // BPE and chat template: the vocabulary and special-token ids are the same for every size.
    await writeTokenizerFiles(outputDir);
    for (const name of ['tokenizer.json', 'tokenizer_config.json', 'chat_template.json']) {
      if (existsSync(join(outputDir, name)) && !written.includes(name)) written.push(name);
    }
  }
  const ownProcessor = join(checkpointDir, 'preprocessor_config.json');
  const processor = existsSync(ownProcessor)
    ? (JSON.parse(readFileSync(ownProcessor, 'utf8')) as Record<string, unknown>)
    : {};
  writeFileSync(
    join(outputDir, 'preprocessor_config.json'),
    JSON.stringify({ ...QWEN2_5_VL_PREPROCESSOR_DEFAULTS, ...processor }, null, 2) + '\n',
  );
  written.push('preprocessor_config.json');
  return written;
}
