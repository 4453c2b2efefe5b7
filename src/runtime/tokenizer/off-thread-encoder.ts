// BPE of long unbroken text off the engine thread. The chat tokenizer cuts prompt text where the
// pre-tokenizer cuts anyway and yields between slices, but a run it cannot cut (100,000 letters
// with no space, a long DNA string) is one pre-token, and BPE on it takes 5-10 us a character, all
// of it holding the event loop: every other request and /health stall (issue 17). Such a run is
// encoded here, in one lazily started worker thread with its own copy of the same BPE, built from
// the same tokenizer files the engine's tokenizer was built from (so the ids are identical). The
// worker costs ~150 MB once started (transformers.js loads its onnxruntime binding on import). A
// crashed worker is started again at the next long text, at most MAX_WORKER_STARTS times; when it
// cannot run, encode() rejects and the caller encodes in place.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/module-worker.js';

/**
 * A slice of prompt text longer than this is encoded off the engine thread (~80 ms of BPE): twice
 * TOKENIZE_SLICE_CHARACTERS, which ordinary text overshoots only by the distance to the next space.
 */
export const OFF_THREAD_TOKENIZE_CHARACTERS = 8192;
/** Worker starts before the encoder gives up and leaves long texts to be encoded in place. */
export const MAX_WORKER_STARTS = 3;

/** The tokenizer files as read from the model folder (their text, parsed again in the worker). */
export interface TokenizerFileTexts {
  tokenizerJson: string;
  tokenizerConfig: string;
}

interface Pending {
  resolve(ids: number[]): void;
  reject(error: Error): void;
}

export class OffThreadEncoder {
  private worker: Worker | undefined;
  private starts = 0;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly files: TokenizerFileTexts,
    private readonly onWorkerFailure: (error: Error) => void = () => {},
  ) {}

  encode(text: string): Promise<number[]> {
    const worker = this.running();
    if (worker === undefined) return Promise.reject(new Error('the tokenizer worker is not running'));
    const id = this.nextId++;
    // Held while it has work (the process waits for the answer), let go when idle.
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, text });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.settle(new Error('the tokenizer was closed'));
    await worker?.terminate();
  }

  /** The worker, started if need be; undefined once closed or out of starts. */
  private running(): Worker | undefined {
    if (this.worker !== undefined) return this.worker;
    if (this.closed || this.starts >= MAX_WORKER_STARTS) return undefined;
    this.starts += 1;
    const worker = startModuleWorker(import.meta.url, 'off-thread-encode-worker', { workerData: this.files });
    worker.on('message', (message: { id: number; ids?: Int32Array; error?: string }) => {
      const entry = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.ids !== undefined) entry?.resolve(Array.from(message.ids));
      else entry?.reject(new Error(message.error ?? 'the tokenizer worker failed'));
    });
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the tokenizer worker stopped (exit code ${code})`)));
    // Idle until encode() refs it; after the listeners, since adding a 'message' listener refs it.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private lost(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    if (!this.closed) this.onWorkerFailure(error);
    this.settle(error);
  }

  private settle(error: Error): void {
    this.worker = undefined;
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }
}
