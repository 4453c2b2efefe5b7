// Worker thread of off-thread-encoder.ts: the plain-text BPE (plain-text-tokenizer.ts) of the
// tokenizer files the engine's tokenizer was built from, encoding one text at a time off the
// engine thread; ids go back in a transferred Int32Array.
import { parentPort, workerData } from 'node:worker_threads';
import type { TokenizerFileTexts } from './off-thread-encoder.js';
import { plainTextTokenizer } from './plain-text-tokenizer.js';

const files = workerData as TokenizerFileTexts;
const tokenizer = plainTextTokenizer(
  JSON.parse(files.tokenizerJson) as Record<string, unknown>,
  JSON.parse(files.tokenizerConfig) as Record<string, unknown>,
);

parentPort?.on('message', ({ id, text }: { id: number; text: string }) => {
  try {
    const ids = Int32Array.from(tokenizer.encode(text, { add_special_tokens: false }));
    parentPort?.postMessage({ id, ids }, [ids.buffer]);
  } catch (error) {
    parentPort?.postMessage({ id, error: (error as Error).message });
  }
});
