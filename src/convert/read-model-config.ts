import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConversionError } from './conversion-error.js';
import { ModelConfigError, parseModelConfig, type ModelConfig } from './model-config.js';

/** Reads and normalises `<folder>/config.json`, naming the file in every error. */
export function readModelConfigFile(folder: string): ModelConfig {
  const path = join(folder, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConversionError('config_missing', `${path} not found: a Hugging Face checkpoint folder holds config.json and *.safetensors`, path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConversionError('config_invalid', `${path} is not valid JSON`, path);
  }
  try {
    return parseModelConfig(raw);
  } catch (error) {
    if (error instanceof ModelConfigError) throw new ConversionError('config_invalid', `${path}: ${error.message.replace(/^config\.json: /, '')}`, path);
    throw error;
  }
}
