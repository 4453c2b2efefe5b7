// The engine thread's side of the grammar worker: compile a grammar (once per distinct spec: the
// worker caches by hash, and concurrent requests for one spec share one compile), start a matcher
// per constrained sequence, advance it by each sampled token and receive the next token mask.
// The worker starts on first use, so servers that never see a grammar never pay for it.
//
// Failures stay local (grammar-worker-handle.ts): a call past the time limit fails alone and the
// worker is replaced; a crashed worker fails its calls in flight. The next call starts a new worker
// at once after a first crash, and after consecutive crashes (the previous worker never answered)
// only once a backoff has passed, doubling up to a cap, so a worker that dies at start cannot
// spin; calls meanwhile fail at once with the time to retry. A new worker compiles again what it is
// asked for: its cache starts empty and fills as before. Matchers of a dead worker are gone with it.
import { GrammarWorkerError } from './grammar-errors.js';
import type { GrammarRequest, GrammarResponse, GrammarWorkerData } from './grammar-protocol.js';
import { grammarKey, type GrammarSpec } from './grammar-spec.js';
import { GrammarCompileError } from './grammar-errors.js';
import { GrammarWorkerHandle, type CallBody, type WorkerEnd } from './grammar-worker-handle.js';

export { GrammarCompileError };

/** A mask for the next token, or the grammar has ended (a stop token was accepted). */
export type MaskResult = { terminated: false; bitmask: Int32Array } | { terminated: true };

/** The wait before restarting after the second crash in a row; doubled per crash up to the cap. */
export const GRAMMAR_RESTART_BACKOFF = Object.freeze({ initialMs: 250, maxMs: 30_000 });

export type GrammarRestartReason = 'crash' | 'timeout';

export interface GrammarLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface GrammarServiceOptions {
  /** A call the worker has not answered within this fails, and the worker is replaced. */
  timeoutMs: number;
  backoff?: { initialMs: number; maxMs: number };
  logger: GrammarLogger;
}

export class GrammarService {
  private handle: GrammarWorkerHandle | undefined;
  private nextMatcher = 1;
  /** Which worker holds each live matcher. */
  private readonly matchers = new Map<number, GrammarWorkerHandle>();
  private readonly compiling = new Map<string, Promise<void>>();
  /** Crashes since a worker last answered a call. */
  private consecutiveCrashes = 0;
  /** No new worker before this (performance.now()). */
  private restartNotBefore = 0;
  private workersStarted = 0;
  private closed = false;
  /** Workers replaced, by why the previous one ended (for /metrics). */
  readonly restarts: Record<GrammarRestartReason, number> = { crash: 0, timeout: 0 };
  /** Milliseconds each compile took (cache hits included), for logs and benchmarks. */
  lastCompileMilliseconds = 0;
  private readonly backoff: { initialMs: number; maxMs: number };

  constructor(
    private readonly settings: GrammarWorkerData,
    private readonly options: GrammarServiceOptions,
  ) {
    this.backoff = options.backoff ?? GRAMMAR_RESTART_BACKOFF;
  }

  get timeoutSeconds(): number {
    return this.options.timeoutMs / 1000;
  }

  /** Compiles (or finds cached) `spec`; rejects with GrammarCompileError when it is not valid. */
  async compile(spec: GrammarSpec): Promise<string> {
    const key = grammarKey(spec);
    let done = this.compiling.get(key);
    if (done === undefined) {
      done = this.call({ type: 'compile', key, spec }, 'compile').then((response) => {
        if (response.type === 'compiled') this.lastCompileMilliseconds = response.milliseconds;
      });
      this.compiling.set(key, done);
      void done.finally(() => this.compiling.delete(key)).catch(() => undefined);
    }
    await done;
    return key;
  }

  /** A new matcher for a compiled spec; resolves with its first mask. */
  startMatcher(spec: GrammarSpec, key = grammarKey(spec)): { matcher: number; first: Promise<MaskResult> } {
    const matcher = this.nextMatcher++;
    const first = this.call({ type: 'start', matcher, key, spec }, 'compile', (handle) =>
      this.matchers.set(matcher, handle),
    ).then(toMask);
    return { matcher, first };
  }

  advance(matcher: number, tokenId: number): Promise<MaskResult> {
    const handle = this.matchers.get(matcher);
    if (handle === undefined || handle.ended !== undefined)
      return Promise.reject(new GrammarWorkerError('the grammar worker of this sequence stopped', 1));
    return handle.call({ type: 'advance', matcher, tokenId }, 'mask').then(toMask);
  }

  free(matcher: number): void {
    const handle = this.matchers.get(matcher);
    this.matchers.delete(matcher);
    handle?.post({ type: 'free', matcher });
  }

  /** Makes the worker fail as a test needs (only with `testHooks` in the worker settings). */
  injectFault(fault: 'crash' | 'hang'): void {
    if (this.settings.testHooks !== true) throw new Error('grammar worker faults need testHooks');
    this.worker().post({ type: 'fault', fault } satisfies GrammarRequest);
  }

  async close(): Promise<void> {
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  private async call(
    body: CallBody,
    during: 'compile' | 'mask',
    onHandle?: (handle: GrammarWorkerHandle) => void,
  ): Promise<Exclude<GrammarResponse, { type: 'ready' | 'load-failed' }>> {
    const handle = this.worker();
    onHandle?.(handle);
    const response = await handle.call(body, during);
    if (response.type !== 'failed') return response;
    if (response.invalidGrammar) throw new GrammarCompileError(response.message);
    throw new Error(`grammar engine: ${response.message}`);
  }

  /** The live worker, started (or restarted) if there is none; throws while a crash backoff lasts. */
  private worker(): GrammarWorkerHandle {
    if (this.closed) throw new GrammarWorkerError('the grammar engine was closed', 5);
    if (this.handle !== undefined && this.handle.ended === undefined) return this.handle;
    const wait = this.restartNotBefore - performance.now();
    if (wait > 0)
      throw new GrammarWorkerError('the grammar worker is restarting after crashes', Math.ceil(wait / 1000));
    const handle = new GrammarWorkerHandle(this.settings, this.options.timeoutMs, (end) => this.ended(handle, end));
    if (this.workersStarted > 0)
      this.options.logger.info({ workers: this.workersStarted + 1 }, 'grammar worker restarted');
    this.workersStarted += 1;
    this.handle = handle;
    return handle;
  }

  private ended(handle: GrammarWorkerHandle, end: WorkerEnd): void {
    for (const [matcher, owner] of this.matchers) if (owner === handle) this.matchers.delete(matcher);
    if (end.reason === 'closed' || this.closed) return;
    this.restarts[end.reason] += 1;
    if (end.reason === 'timeout') {
      // The grammar's fault, not the worker's: no backoff, the next call gets a new worker at once.
      this.options.logger.warn(
        { timeoutSeconds: this.timeoutSeconds, err: end.error },
        'a grammar call ran past the time limit; the grammar worker was terminated and will be replaced',
      );
      return;
    }
    this.consecutiveCrashes = handle.answered ? 1 : this.consecutiveCrashes + 1;
    const backoffMs =
      this.consecutiveCrashes <= 1
        ? 0
        : Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (this.consecutiveCrashes - 2));
    this.restartNotBefore = performance.now() + backoffMs;
    this.options.logger.error(
      { err: end.error, consecutiveCrashes: this.consecutiveCrashes, restartInMs: backoffMs },
      'the grammar worker crashed; requests using it fail and a new worker starts on the next grammar',
    );
  }
}

function toMask(response: GrammarResponse): MaskResult {
  if (response.type === 'mask') return { terminated: false, bitmask: response.bitmask };
  if (response.type === 'terminated') return { terminated: true };
  throw new Error(`grammar worker answered ${response.type}`);
}
