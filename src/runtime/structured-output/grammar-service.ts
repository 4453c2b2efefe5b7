// The engine thread's side of the grammar worker: compile a grammar (once per distinct spec: the
// worker caches by hash, and concurrent requests for one spec share one compile), start a matcher
// per constrained sequence, advance it by each sampled token and receive the next token mask.
// The worker starts on first use, so servers that never see a grammar never pay for it.
import { Worker } from 'node:worker_threads';
import type { GrammarRequest, GrammarResponse, GrammarWorkerData } from './grammar-protocol.js';
import { grammarKey, type GrammarSpec } from './grammar-spec.js';
import { ShotvlError } from '../../util/shotvl-error.js';

/** The grammar itself is not valid (a parse error, an unsatisfiable schema): the caller's fault. */
export class GrammarCompileError extends ShotvlError<'invalid_grammar'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_grammar', message, options);
  }
}

/** A mask for the next token, or the grammar has ended (a stop token was accepted). */
export type MaskResult = { terminated: false; bitmask: Int32Array } | { terminated: true };

type RequestBody = GrammarRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type Pending = { resolve: (response: GrammarResponse) => void; reject: (error: Error) => void };

function startWorker(data: GrammarWorkerData): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./grammar-worker.js', import.meta.url), { workerData: data });
  const entry = new URL('./grammar-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

export class GrammarService {
  private worker: Promise<Worker> | undefined;
  private nextId = 1;
  private nextMatcher = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly compiling = new Map<string, Promise<void>>();
  private failure: Error | undefined;
  /** Milliseconds each compile took (cache hits included), for logs and benchmarks. */
  lastCompileMilliseconds = 0;

  constructor(private readonly settings: GrammarWorkerData) {}

  /** Compiles (or finds cached) `spec`; rejects with GrammarCompileError when it is not valid. */
  async compile(spec: GrammarSpec): Promise<string> {
    const key = grammarKey(spec);
    let done = this.compiling.get(key);
    if (done === undefined) {
      done = this.call({ type: 'compile', key, spec }).then((response) => {
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
    return { matcher, first: this.call({ type: 'start', matcher, key, spec }).then(toMask) };
  }

  advance(matcher: number, tokenId: number): Promise<MaskResult> {
    return this.call({ type: 'advance', matcher, tokenId }).then(toMask);
  }

  free(matcher: number): void {
    if (this.worker === undefined || this.failure !== undefined) return;
    void this.worker.then((worker) => worker.postMessage({ type: 'free', matcher } satisfies GrammarRequest));
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await (await worker).terminate();
  }

  private async call(body: RequestBody): Promise<GrammarResponse> {
    if (this.failure !== undefined) throw this.failure;
    const worker = await this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id } as GrammarRequest);
    });
  }

  private started(): Promise<Worker> {
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      const worker = startWorker(this.settings);
      worker.unref();
      worker.on('message', (message: GrammarResponse) => {
        if (message.type === 'ready') resolve(worker);
        else if (message.type === 'load-failed')
          reject(new Error(`the grammar engine failed to start: ${message.message}`));
        else this.settle(message);
      });
      worker.on('error', (error) => this.fail(error, reject));
      worker.on('exit', (code) => this.fail(new Error(`the grammar worker exited with code ${code}`), reject));
    });
    return this.worker;
  }

  private settle(message: Exclude<GrammarResponse, { type: 'ready' | 'load-failed' }>): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.type !== 'failed') pending.resolve(message);
    else if (message.invalidGrammar) pending.reject(new GrammarCompileError(message.message));
    else pending.reject(new Error(`grammar engine: ${message.message}`));
  }

  private fail(error: Error, reject: (error: Error) => void): void {
    if (this.worker === undefined) return;
    this.failure = error;
    reject(error);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

function toMask(response: GrammarResponse): MaskResult {
  if (response.type === 'mask') return { terminated: false, bitmask: response.bitmask };
  if (response.type === 'terminated') return { terminated: true };
  throw new Error(`grammar worker answered ${response.type}`);
}
