// Entry point of the model worker thread: loads the sessions and serves WorkerRequests, so that
// onnxruntime's blocking `run` never stalls the HTTP event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { loadModelRunner } from '../model-families.js';
import type { ModelRunner } from './model-runner.js';
import { serializeError, type ModelWorkerData, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('model-worker.ts must run in a worker thread');

function post(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function handle(
  runner: ModelRunner,
  request: WorkerRequest,
): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  switch (request.method) {
    // Features stay here: prompts name them by id, and only logits go back.
    case 'encodeVision':
      await runner.encodeVision(request.featureId, request.pixelValues, request.grid);
      return { value: undefined, transfer: [] };
    case 'dropVision':
      runner.dropVision(request.featureId);
      return { value: undefined, transfer: [] };
    case 'execute': {
      const result = await runner.execute(request.plan);
      const entries = [...result.logits.entries()];
      return {
        value: { logits: entries, rejected: result.rejected },
        transfer: entries.map(([, logits]) => logits.buffer as ArrayBuffer),
      };
    }
    case 'dropPrefix':
      runner.dropPrefix(request.prefixId);
      return { value: undefined, transfer: [] };
    case 'release':
      runner.release(request);
      return { value: undefined, transfer: [] };
    case 'usage':
      return { value: await runner.usage(), transfer: [] };
    case 'close':
      await runner.close();
      return { value: undefined, transfer: [] };
  }
}

async function main(): Promise<void> {
  const data = workerData as ModelWorkerData;
  let runner: ModelRunner;
  try {
    runner = await loadModelRunner(data);
  } catch (error) {
    post({ kind: 'load-failed', error: serializeError(error) });
    return;
  }
  // Requests are served strictly one at a time, in order: the engine never overlaps steps, and
  // onnxruntime sessions are not re-entrant for our cache bookkeeping.
  let queue = Promise.resolve();
  port!.on('message', (request: WorkerRequest) => {
    queue = queue.then(async () => {
      try {
        const { value, transfer } = await handle(runner, request);
        post({ kind: 'result', id: request.id, value }, transfer);
      } catch (error) {
        post({ kind: 'error', id: request.id, error: serializeError(error) });
      }
    });
  });
  post({ kind: 'ready', config: runner.config, kvBytesPerToken: runner.kvBytesPerToken });
}

void main();
