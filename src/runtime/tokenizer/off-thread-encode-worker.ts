// Worker thread of off-thread-encoder.ts: the model folder's plain-text BPE (plain-text-tokenizer.ts),
// encoding one text at a time off the engine thread; ids go back in a transferred Int32Array.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { plainTextTokenizer } from './plain-text-tokenizer.js';

const { modelDirectory } = workerData as { modelDirectory: string };
const read = (name: string) => JSON.parse(readFileSync(join(modelDirectory, name), 'utf8')) as Record<string, unknown>;
const tokenizer = plainTextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));

parentPort?.on('message', ({ id, text }: { id: number; text: string }) => {
  try {
    const ids = Int32Array.from(tokenizer.encode(text, { add_special_tokens: false }));
    parentPort?.postMessage({ id, ids }, [ids.buffer]);
  } catch (error) {
    parentPort?.postMessage({ id, error: (error as Error).message });
  }
});
