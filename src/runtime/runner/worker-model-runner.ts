// The ModelRunner the engine uses in production: a proxy to a worker thread that owns the
// onnxruntime sessions, the vision features and the KV caches. Pixel values go in and logits come
// back transferred (moved, not copied); features never cross the thread boundary.
import type { Worker } from 'node:worker_threads';
import type { ModelConfig } from '../../model-format/model-config.js';
import type { GridThw } from '../../media/patchify.js';
import type { ModelFamily } from '../model-family.js';
import { familyOf } from '../model-families.js';
import type { KvUsage, ModelRunner, RunnerPlan, StepResult } from './model-runner.js';
import type { ModelWorkerData, SerializedError, WorkerRequest, WorkerResponse } from './worker-protocol.js';
import { startModuleWorker } from '../../util/module-worker.js';
import { ShotvlError } from '../../util/shotvl-error.js';

/** An error the model worker threw, rebuilt on this side with its code and message. */
export class ModelWorkerError extends ShotvlError {}

function fromWorker(error: SerializedError): ModelWorkerError {
  return new ModelWorkerError(error.code ?? 'model_worker_error', error.message);
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/**
 * Starts the worker entry for both layouts (util/module-worker.ts: the built `.js` file, or the
 * `.ts` source under tsx or vitest with tsx's loader registered inside the worker, since loader
 * hooks of the parent thread do not reach workers on Node 20).
 */
function startWorker(data: ModelWorkerData): Worker {
  return startModuleWorker(import.meta.url, 'model-worker', { workerData: data });
}

export class WorkerModelRunner implements ModelRunner {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;
  readonly family: ModelFamily;

  private constructor(
    private readonly worker: Worker,
    readonly config: ModelConfig,
    readonly kvBytesPerToken: number,
  ) {
    this.family = familyOf(config);
    worker.on('message', (message: WorkerResponse) => this.onMessage(message));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`model worker exited with code ${code}`)));
  }

  static async start(data: ModelWorkerData): Promise<WorkerModelRunner> {
    const worker = startWorker(data);
    let onMessage: (message: WorkerResponse) => void = () => undefined;
    let onError: (error: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const ready = await new Promise<Extract<WorkerResponse, { kind: 'ready' }>>((resolve, reject) => {
      onMessage = (message) => {
        if (message.kind === 'ready') resolve(message);
        else if (message.kind === 'load-failed') reject(fromWorker(message.error));
      };
      onError = reject;
      onExit = (code) => reject(new Error(`model worker exited with code ${code} while loading`));
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    })
      .catch(async (error: unknown) => {
        await worker.terminate();
        throw error;
      })
      .finally(() => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      });
    return new WorkerModelRunner(worker, ready.config, ready.kvBytesPerToken);
  }

  /** Set when the worker died: every later call rejects with it. */
  get failed(): Error | undefined {
    return this.failure;
  }

  async encodeVision(featureId: number, pixelValues: Float32Array, grid: GridThw): Promise<void> {
    // Moved when the array owns its whole buffer (what the media workers hand over); else copied.
    const whole = pixelValues.byteOffset === 0 && pixelValues.byteLength === pixelValues.buffer.byteLength;
    await this.call(
      { method: 'encodeVision', featureId, pixelValues, grid: [grid[0], grid[1], grid[2]] },
      whole ? [pixelValues.buffer as ArrayBuffer] : [],
    );
  }

  dropVision(featureId: number): void {
    void this.call({ method: 'dropVision', featureId }).catch(() => undefined);
  }

  async execute(plan: RunnerPlan): Promise<StepResult> {
    const result = (await this.call({ method: 'execute', plan })) as {
      logits: [number, Float32Array][];
      rejected: StepResult['rejected'];
    };
    return { logits: new Map(result.logits), rejected: result.rejected };
  }

  dropPrefix(prefixId: number): void {
    void this.call({ method: 'dropPrefix', prefixId }).catch(() => undefined);
  }

  release(release: { sequenceIds: number[]; promptIds: number[] }): void {
    void this.call({ method: 'release', ...release }).catch(() => undefined);
  }

  async usage(): Promise<KvUsage> {
    return (await this.call({ method: 'usage' })) as KvUsage;
  }

  async close(): Promise<void> {
    if (this.failure === undefined) await this.call({ method: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(body: RequestBody, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    const request = { ...body, id } as WorkerRequest;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, transfer);
    });
  }

  private onMessage(message: WorkerResponse): void {
    if (message.kind !== 'result' && message.kind !== 'error') return;
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    this.pending.delete(message.id);
    if (message.kind === 'result') pending.resolve(message.value);
    else pending.reject(fromWorker(message.error));
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
