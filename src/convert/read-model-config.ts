import { ConversionError } from './conversion-error.js';
import { ModelConfigError, type ModelConfig } from '../model-format/model-config.js';
import { readModelConfig } from '../model-format/read-model-config.js';

/** Reads `<folder>/config.json` for conversion; failures become ConversionErrors naming the file. */
export function readModelConfigFile(folder: string): ModelConfig {
  try {
    return readModelConfig(folder);
  } catch (error) {
    if (error instanceof ModelConfigError)
      throw new ConversionError(error.code, error.message, `${folder}/config.json`);
    throw error;
  }
}
