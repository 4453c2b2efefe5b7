// One grammar worker thread and the calls in flight on it, with a watchdog. The worker answers
// calls one at a time in the order they were posted, so the oldest unanswered call is the one it
// is working on, and it began when the previous answer arrived (or when it was posted, if the
// worker was idle). If that call runs past the time limit (a pathological regex or schema whose
// compile explodes, a mask that never comes), the worker is terminated: that call fails with
// GrammarTimeoutError, every other call in flight with GrammarWorkerError. A crash (an uncaught
// error, a WebAssembly abort that kills the thread, an exit) fails every call in flight the same
// way. A handle never comes back: GrammarService starts a new one for later calls.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/module-worker.js';
import { GrammarTimeoutError, GrammarWorkerError } from './grammar-errors.js';
import type { GrammarRequest, GrammarResponse, GrammarWorkerData } from './grammar-protocol.js';

/** How long the worker may take to load xgrammar and index the vocabulary (seconds on 152k tokens). */
export const GRAMMAR_WORKER_START_TIMEOUT_MS = 60_000;

/** Why a worker ended: it crashed, it ran past the time limit (and was terminated), or it was closed. */
export type WorkerEnd = { reason: 'crash' | 'timeout' | 'closed'; error: Error };

export type CallBody = GrammarRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Answer = Exclude<GrammarResponse, { type: 'ready' | 'load-failed' }>;

interface Pending {
  resolve: (response: Answer) => void;
  reject: (error: Error) => void;
  during: 'compile' | 'mask';
}

function spawn(data: GrammarWorkerData): Worker {
  return startModuleWorker(import.meta.url, 'grammar-worker', { workerData: data });
}

export class GrammarWorkerHandle {
  private readonly worker: Worker;
  /** Resolves when xgrammar is loaded; rejects if the worker ended first. */
  readonly ready: Promise<void>;
  /** In posting order, which is the worker's answering order. */
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** When the worker began the oldest unanswered call (performance.now()). */
  private headStartedAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  /** Set once: why this worker is gone. */
  ended: WorkerEnd | undefined;
  /** The worker answered at least one call (it works: the crash backoff starts over). */
  answered = false;
  private failStart: (error: Error) => void = () => undefined;

  constructor(
    data: GrammarWorkerData,
    private readonly timeoutMs: number,
    private readonly onEnd: (end: WorkerEnd) => void,
  ) {
    this.worker = spawn(data);
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.startTimer = setTimeout(
        () => this.end('crash', new Error(`the grammar worker did not start in ${GRAMMAR_WORKER_START_TIMEOUT_MS} ms`)),
        GRAMMAR_WORKER_START_TIMEOUT_MS,
      );
      this.startTimer.unref();
      this.worker.on('message', (message: GrammarResponse) => {
        if (message.type === 'ready') {
          clearTimeout(this.startTimer);
          resolve();
        } else if (message.type === 'load-failed')
          this.end('crash', new Error(`the grammar engine failed to start: ${message.message}`));
        else this.settle(message);
      });
      this.worker.on('error', (error) => this.end('crash', error));
      this.worker.on('exit', (code) => this.end('crash', new Error(`the grammar worker exited with code ${code}`)));
      this.failStart = reject;
    });
    this.ready.catch(() => undefined);
  }

  /** Posts a call once the worker is ready; resolves with its answer, rejects if the worker ends first. */
  async call(body: CallBody, during: 'compile' | 'mask'): Promise<Answer> {
    await this.ready;
    if (this.ended !== undefined) throw this.gone();
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, during });
      if (this.pending.size === 1) this.restartWatchdog();
      this.worker.postMessage({ ...body, id } as GrammarRequest);
    });
  }

  /** Posts a message that has no answer (freeing a matcher, a test fault); dropped on an ended worker. */
  post(message: GrammarRequest): void {
    if (this.ended === undefined) void this.ready.then(() => this.ended ?? this.worker.postMessage(message));
  }

  async close(): Promise<void> {
    this.end('closed', new Error('the grammar engine was closed'));
    await this.worker.terminate();
  }

  private settle(message: Answer): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    this.answered = true;
    this.restartWatchdog();
    pending.resolve(message);
  }

  /** The oldest unanswered call starts now: it has timeoutMs to be answered (none: the next call arms it). */
  private restartWatchdog(): void {
    clearTimeout(this.watchdog);
    this.headStartedAt = performance.now();
    if (this.pending.size > 0) this.armWatchdog();
  }

  private armWatchdog(): void {
    const remaining = Math.max(0, this.headStartedAt + this.timeoutMs - performance.now());
    this.watchdog = setTimeout(() => this.checkHead(), remaining);
    this.watchdog.unref();
  }

  private checkHead(): void {
    const head = this.pending.entries().next();
    if (head.done === true || this.ended !== undefined) return;
    if (performance.now() - this.headStartedAt < this.timeoutMs) return this.armWatchdog();
    const [id, culprit] = head.value;
    this.pending.delete(id);
    const timeout = new GrammarTimeoutError(this.timeoutMs / 1000, culprit.during);
    culprit.reject(timeout);
    this.end('timeout', timeout);
    void this.worker.terminate();
  }

  private gone(): GrammarWorkerError {
    const why = this.ended?.reason === 'timeout' ? 'was replaced after a time-out' : 'stopped';
    return new GrammarWorkerError(`the grammar worker ${why}`, 1, { cause: this.ended?.error });
  }

  private end(reason: WorkerEnd['reason'], error: Error): void {
    if (this.ended !== undefined) return;
    this.ended = { reason, error };
    clearTimeout(this.watchdog);
    clearTimeout(this.startTimer);
    const failure = this.gone();
    this.failStart(failure);
    for (const pending of this.pending.values()) pending.reject(failure);
    this.pending.clear();
    if (reason === 'crash') void this.worker.terminate();
    this.onEnd(this.ended);
  }
}
