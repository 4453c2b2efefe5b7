// The "tiny model" of the tests that need a real model but not the reference numbers (engine,
// runner, server, end-to-end, CLI): `make-tiny` (preset tiny, seed 0: deterministic) converted to
// fp32 ONNX. Vitest's global setup builds it once per run (tests/helpers/global-setup.ts) into a
// folder keyed by the content of src/, so a later run with unchanged sources reuses it; test
// files read its path with tinyModelDir(). Only the parity tests use the golden tiny-a checkpoint.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/** The id test engines serve the tiny model under. */
export const TINY_MODEL_ID = 'tiny';

declare module 'vitest' {
  export interface ProvidedContext {
    tinyModelDir: string;
  }
}

/** The converted tiny model's folder, built by the global setup. Shared by all tests: do not write into it. */
export function tinyModelDir(): string {
  const folder = inject('tinyModelDir');
  if (typeof folder !== 'string' || !existsSync(join(folder, 'shotvl.json')))
    throw new Error(`the tiny test model is missing (${String(folder)}): run the tests with vitest.config.ts`);
  return folder;
}
