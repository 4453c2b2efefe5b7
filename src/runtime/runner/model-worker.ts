// Entry point of the model worker thread: loads the sessions and serves WorkerRequests, so that
// onnxruntime's blocking `run` never stalls the HTTP event loop.
import { parentPort, workerData } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { readModelConfig } from '../../model-format/read-model-config.js';
import { QwenOnnxSessions } from '../qwen2-5-vl/onnx-sessions.js';
import { OnnxModelRunner } from './onnx-model-runner.js';
import { serializeError, type ModelWorkerData, type WorkerRequest, type WorkerResponse } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('model-worker.ts must run in a worker thread');

function post(message: WorkerResponse, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function handle(
  runner: OnnxModelRunner,
  request: WorkerRequest,
): Promise<{ value: unknown; transfer: ArrayBuffer[] }> {
  switch (request.method) {
    case 'encodeVision': {
      const features = await runner.encodeVision(request.pixelValues, request.grid);
      return { value: features, transfer: [features.buffer as ArrayBuffer] };
    }
    case 'forward': {
      const result = await runner.forward(request.chunks);
      const entries = [...result.logits.entries()];
      return { value: entries, transfer: entries.map(([, logits]) => logits.buffer as ArrayBuffer) };
    }
    case 'savePrefix':
      await runner.savePrefix(request.prefixId, request.sequenceId, request.length);
      return { value: undefined, transfer: [] };
    case 'restorePrefix':
      await runner.restorePrefix(request.sequenceId, request.prefixId, request.length, request.capacity);
      return { value: undefined, transfer: [] };
    case 'dropPrefix':
      runner.dropPrefix(request.prefixId);
      return { value: undefined, transfer: [] };
    case 'release':
      runner.release(request.sequenceId);
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
  let runner: OnnxModelRunner;
  try {
    const config = readModelConfig(data.modelDir);
    const sessions = await QwenOnnxSessions.load(data.modelDir, config, {
      format: data.format,
      executionProviders: data.executionProviders as ort.InferenceSession.SessionOptions['executionProviders'],
      ...(data.intraOpThreads === undefined ? {} : { intraOpThreads: data.intraOpThreads }),
    });
    runner = new OnnxModelRunner(sessions, data.kvMode ?? 'in-place');
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
