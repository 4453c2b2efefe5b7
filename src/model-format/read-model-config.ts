import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelConfigError, parseModelConfig, type ModelConfig } from './model-config.js';

/** Reads and normalises `<folder>/config.json`; every error names the file. */
export function readModelConfig(folder: string): ModelConfig {
  const path = join(folder, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ModelConfigError('config_missing', `${path} not found`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ModelConfigError('config_invalid', `${path} is not valid JSON`);
  }
  try {
    return parseModelConfig(raw);
  } catch (error) {
    if (error instanceof ModelConfigError)
      throw new ModelConfigError('config_invalid', `${path}: ${error.message.replace(/^config\.json: /, '')}`);
    throw error;
  }
}
