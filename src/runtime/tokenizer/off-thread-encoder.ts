// BPE of long unbroken text off the engine thread. The chat tokenizer cuts prompt text where the
// pre-tokenizer cuts anyway and yields between slices, but a run it cannot cut (100,000 letters
// with no space, a long DNA string) is one pre-token, and BPE on it takes ~10 us a character: a
// 400 KB run held the event loop 4 s, stalling every other request and /health (issue 17). Such a
// run is encoded here, in one lazily started worker thread with its own copy of the same BPE (the
// ids are identical). If the worker cannot run, encode() rejects and the caller encodes in place.
import { Worker } from 'node:worker_threads';

/**
 * A slice of prompt text longer than this is encoded off the engine thread (~80 ms of BPE): twice
 * TOKENIZE_SLICE_CHARACTERS, which ordinary text overshoots only by the distance to the next space.
 */
export const OFF_THREAD_TOKENIZE_CHARACTERS = 8192;

function startWorker(modelDirectory: string): Worker {
  const workerData = { modelDirectory };
  if (import.meta.url.endsWith('.js'))
    return new Worker(new URL('./off-thread-encode-worker.js', import.meta.url), { workerData });
  // From the sources (vitest, tsx): the .ts entry through tsx's loader, as the other workers do.
  const entry = new URL('./off-thread-encode-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

interface Pending {
  resolve(ids: number[]): void;
  reject(error: Error): void;
}

export class OffThreadEncoder {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Set once the worker failed: later texts are refused at once (the caller encodes them in place). */
  private failure: Error | undefined;

  constructor(private readonly modelDirectory: string) {}

  encode(text: string): Promise<number[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const worker = this.running();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, text });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error('the tokenizer was closed'));
    await worker?.terminate();
  }

  private running(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = startWorker(this.modelDirectory);
    worker.unref();
    worker.on('message', (message: { id: number; ids?: Int32Array; error?: string }) => {
      const entry = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ids !== undefined) entry?.resolve(Array.from(message.ids));
      else entry?.reject(new Error(message.error ?? 'the tokenizer worker failed'));
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', () => this.fail(new Error('the tokenizer worker stopped')));
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.worker = undefined;
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }
}
