// Media preprocessing off the event loop. Decoding, resizing and patchifying are CPU-bound (about 1 s
// for a 3000×2000 image, 40 ms per video frame); run in the server's thread they would stall HTTP,
// health checks and token streaming. MediaWorkerPool runs preprocessMedia in a few worker threads:
//
//   * one job per worker at a time, FIFO queue; workers start on demand, and a worker that crashed is
//     replaced by the next job that needs one (no restart loop when a worker cannot start at all);
//   * the pixel values come back transferred (the ArrayBuffer moves, no copy);
//   * errors come back as the same MediaError subclasses (media-worker-protocol.ts); a worker crash
//     rejects its job with MediaWorkerError;
//   * abort: the caller's promise rejects at once with MediaAbortedError; the worker is told to cancel
//     (its AbortSignal kills ffmpeg at once; an image stops at the next step). A worker that still has
//     not finished after `cancelGraceMs` (stuck in a long synchronous loop) is terminated and replaced.
import type { ResourceLimits, Worker } from 'node:worker_threads';
// libvips must stay loaded in the main thread: a worker that exits would otherwise unload the shared
// library while another worker still uses it (sharp's documentation on worker threads).
import 'sharp';
import { MediaAbortedError } from './media-errors.js';
import type { MediaLimits } from './media-limits.js';
import {
  deserializeError,
  type MediaWorkerData,
  type PoolToWorkerMessage,
  type WorkerToPoolMessage,
} from './media-worker-protocol.js';
import type { MediaItem, PreprocessedMedia } from './preprocess-media.js';
import { startModuleWorker } from '../util/module-worker.js';
import { ShotvlError } from '../util/shotvl-error.js';

export interface MediaWorkerPoolOptions {
  /** Worker threads (default 1). Each holds one decoded item at a time. */
  size?: number;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** How long a cancelled job may keep its worker before the worker is terminated (default 10 s). */
  cancelGraceMs?: number;
  /** V8 heap limits of each worker (pixel buffers live outside the heap). */
  resourceLimits?: ResourceLimits;
}

export interface MediaWorkerRunContext {
  limits?: MediaLimits;
  signal?: AbortSignal;
  /** Pids of the ffmpeg/ffprobe processes the job starts (metrics, tests). */
  onProcessSpawn?: (pid: number) => void;
}

export interface MediaWorkerPoolStats {
  workers: number;
  busy: number;
  queued: number;
  /** Workers that exited unexpectedly or were terminated after a cancel. */
  replacedWorkers: number;
}

/** A worker died or could not start (not the media's fault: the server maps it to a 500). */
export class MediaWorkerError extends ShotvlError<'media_worker_failed'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('media_worker_failed', message, options);
  }
}

export const DEFAULT_MEDIA_WORKERS = 1;
export const DEFAULT_CANCEL_GRACE_MS = 10_000;

interface Job {
  readonly id: number;
  readonly item: MediaItem;
  readonly context: MediaWorkerRunContext;
  readonly resolve: (result: PreprocessedMedia) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  detach: () => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  /** Set once the worker is being terminated: it takes no more jobs. */
  retiring: boolean;
  cancelTimer: NodeJS.Timeout | undefined;
}

export class MediaWorkerPool {
  readonly size: number;
  private readonly cancelGraceMs: number;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextId = 1;
  private replacedWorkers = 0;
  private closed = false;

  constructor(private readonly options: MediaWorkerPoolOptions = {}) {
    const size = options.size ?? DEFAULT_MEDIA_WORKERS;
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`The media worker pool size must be a positive integer; got ${size}.`);
    this.size = size;
    this.cancelGraceMs = options.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
  }

  /** preprocessMedia in a worker thread: same result, same errors. */
  run(item: MediaItem, context: MediaWorkerRunContext = {}): Promise<PreprocessedMedia> {
    if (this.closed) return Promise.reject(new MediaWorkerError('The media worker pool is closed.'));
    const signal = context.signal;
    if (signal?.aborted) return Promise.reject(new MediaAbortedError(undefined, { cause: signal.reason }));
    return new Promise<PreprocessedMedia>((resolve, reject) => {
      const job: Job = { id: this.nextId++, item, context, resolve, reject, settled: false, detach: () => undefined };
      if (signal !== undefined) {
        const onAbort = () => this.abort(job);
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  stats(): MediaWorkerPoolStats {
    let busy = 0;
    for (const slot of this.slots) if (slot.job !== undefined) busy += 1;
    return { workers: this.slots.size, busy, queued: this.queue.length, replacedWorkers: this.replacedWorkers };
  }

  /** Rejects queued and running jobs and terminates every worker. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new MediaWorkerError('The media worker pool was closed.'));
    const exits = [...this.slots].map(async (slot) => {
      slot.retiring = true;
      if (slot.job !== undefined) this.settle(slot.job, new MediaWorkerError('The media worker pool was closed.'));
      await slot.worker.terminate();
    });
    await Promise.all(exits);
  }

  /**
   * Starts one worker: compiled JavaScript from dist/, or the .ts entry through tsx's loader when
   * this module runs from its TypeScript source (util/module-worker.ts).
   */
  protected createWorker(): Worker {
    const workerData: MediaWorkerData = { ffmpegPath: this.options.ffmpegPath, ffprobePath: this.options.ffprobePath };
    return startModuleWorker(import.meta.url, 'media-worker', {
      workerData,
      resourceLimits: this.options.resourceLimits,
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      const slot = this.idleSlot() ?? (this.slots.size < this.size ? this.startSlot() : undefined);
      if (slot === undefined) return;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.ref();
      try {
        this.post(slot, { type: 'run', id: job.id, item: job.item, limits: job.context.limits });
      } catch (error) {
        // Not cloneable (a caller bug): fail this job, keep the worker.
        this.finish(slot, job.id, error);
      }
    }
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) if (slot.job === undefined && !slot.retiring) return slot;
    return undefined;
  }

  private startSlot(): Slot {
    const slot: Slot = { worker: this.createWorker(), job: undefined, retiring: false, cancelTimer: undefined };
    this.slots.add(slot);
    let failure: Error | undefined;
    slot.worker.on('message', (message: WorkerToPoolMessage) => this.onMessage(slot, message));
    slot.worker.on('error', (error) => {
      failure = error;
    });
    slot.worker.once('exit', (code) => this.onExit(slot, code, failure));
    return slot;
  }

  private post(slot: Slot, message: PoolToWorkerMessage): void {
    slot.worker.postMessage(message);
  }

  private onMessage(slot: Slot, message: WorkerToPoolMessage): void {
    const job = slot.job;
    if (job === undefined || job.id !== message.id) return;
    if (message.type === 'spawn') job.context.onProcessSpawn?.(message.pid);
    else if (message.type === 'done') this.finish(slot, message.id, undefined, message.result);
    else this.finish(slot, message.id, deserializeError(message.error));
  }

  /** The worker is done with job `id`: settle it (if the caller still waits) and free the worker. */
  private finish(slot: Slot, id: number, error: unknown, result?: PreprocessedMedia): void {
    const job = slot.job;
    if (job === undefined || job.id !== id) return;
    slot.job = undefined;
    clearTimeout(slot.cancelTimer);
    slot.cancelTimer = undefined;
    slot.worker.unref();
    this.settle(job, error, result);
    this.dispatch();
  }

  private onExit(slot: Slot, code: number, failure: Error | undefined): void {
    this.slots.delete(slot);
    clearTimeout(slot.cancelTimer);
    const job = slot.job;
    slot.job = undefined;
    if (!this.closed) this.replacedWorkers += 1;
    if (job !== undefined) {
      const reason = failure === undefined ? `exited with code ${code}` : `failed: ${failure.message}`;
      this.settle(job, new MediaWorkerError(`The media worker ${reason} while preprocessing.`, { cause: failure }));
    }
    this.dispatch();
  }

  private abort(job: Job): void {
    const reason = job.context.signal?.reason as unknown;
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.settle(job, new MediaAbortedError(undefined, { cause: reason }));
    if (queued >= 0) return;
    const slot = [...this.slots].find((candidate) => candidate.job === job);
    if (slot === undefined) return;
    this.post(slot, { type: 'cancel', id: job.id });
    slot.cancelTimer = setTimeout(() => {
      // Still busy with a job nobody waits for: a long synchronous step. Replace the worker.
      slot.retiring = true;
      void slot.worker.terminate();
    }, this.cancelGraceMs);
    slot.cancelTimer.unref();
  }

  private settle(job: Job, error: unknown, result?: PreprocessedMedia): void {
    if (job.settled) return;
    job.settled = true;
    job.detach();
    if (error !== undefined) job.reject(error);
    else job.resolve(result as PreprocessedMedia);
  }
}
