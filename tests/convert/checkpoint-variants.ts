// Variants of a make-tiny checkpoint for converter tests: the same weights re-saved under the newer
// Hugging Face parameter names, sharded, with a tensor declared in the wrong shape, or with an
// edited config.json. Written with the project's safetensors writer.
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../src/convert/safetensors-reader.js';
import { SafetensorsWriter } from '../../src/convert/safetensors-writer.js';

export interface RewriteOptions {
  /** New name of each tensor (default: unchanged). */
  rename?: (name: string) => string;
  /** Declared shape of each tensor (must hold the same number of values). */
  shape?: (name: string, shape: number[]) => number[];
  /** Extra tensors, each a copy of an existing one (e.g. an untied lm_head from the embeddings). */
  copies?: Record<string, string>;
  maxShardBytes?: number;
}

/** The newer scheme (transformers >= 4.52): `model.visual.*` and `model.language_model.*`; lm_head stays. */
export function newerParameterName(name: string): string {
  if (name.startsWith('visual.')) return `model.${name}`;
  if (name.startsWith('model.')) return `model.language_model.${name.slice('model.'.length)}`;
  return name;
}

/** Copies every non-weight file, then re-saves the weights as `options` says. */
export async function rewriteCheckpoint(from: string, to: string, options: RewriteOptions = {}): Promise<void> {
  for (const name of readdirSync(from)) {
    if (!name.endsWith('.safetensors') && name !== 'model.safetensors.index.json')
      copyFileSync(join(from, name), join(to, name));
  }
  const reader = await openCheckpoint(from);
  try {
    const sources = [
      ...reader.tensorNames().map((name) => ({ source: name, name })),
      ...Object.entries(options.copies ?? {}).map(([name, source]) => ({ source, name })),
    ];
    const declarations = sources.map(({ source, name }) => ({
      name: options.rename?.(name) ?? name,
      shape: options.shape?.(name, reader.info(source).shape) ?? reader.info(source).shape,
    }));
    const writer = await SafetensorsWriter.create(
      to,
      declarations,
      options.maxShardBytes === undefined ? {} : { maxShardBytes: options.maxShardBytes },
    );
    try {
      for (const [index, { source }] of sources.entries())
        await writer.write(declarations[index]!.name, await reader.readFloat32(source));
      await writer.finish();
    } finally {
      await writer.close();
    }
  } finally {
    await reader.close();
  }
}

export function editConfig(folder: string, edit: (config: Record<string, unknown>) => Record<string, unknown>): void {
  const path = join(folder, 'config.json');
  writeFileSync(path, JSON.stringify(edit(JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>), null, 2));
}

/** Keys of the text model that a flat (mid-2025) config repeats at the top level. */
const FLAT_TEXT_KEYS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'hidden_act',
  'max_position_embeddings',
  'initializer_range',
  'rms_norm_eps',
  'use_cache',
  'tie_word_embeddings',
  'rope_theta',
  'use_sliding_window',
  'sliding_window',
  'max_window_layers',
  'attention_dropout',
  'rope_scaling',
  'bos_token_id',
  'eos_token_id',
  'head_dim',
];

/**
 * The nested-only form newer transformers save: no text keys at the top level, `text_config` with
 * `rope_scaling` of type "default" (plus `mrope_section`) and no `head_dim` (derived).
 */
export function nestedOnlyConfig(config: Record<string, unknown>): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!FLAT_TEXT_KEYS.includes(key)) nested[key] = value;
  const text = { ...(config.text_config as Record<string, unknown>) };
  const rope = text.rope_scaling as { mrope_section: number[] };
  text.rope_scaling = { type: 'default', rope_type: 'default', mrope_section: rope.mrope_section };
  delete text.head_dim;
  nested.text_config = text;
  return nested;
}
