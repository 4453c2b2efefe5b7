// Worker-thread entry of MediaWorkerPool: runs preprocessMedia for each 'run' message and posts the
// result back with its pixel buffer transferred. A 'cancel' message aborts the job's AbortSignal, which
// kills its ffmpeg/ffprobe processes and makes the job fail with MediaAbortedError.
import { parentPort, workerData } from 'node:worker_threads';
import {
  serializeError,
  type MediaWorkerData,
  type PoolToWorkerMessage,
  type WorkerToPoolMessage,
} from './media-worker-protocol.js';
import { preprocessMedia } from './preprocess-media.js';

const port = parentPort;
if (port === null) throw new Error('media-worker.ts must run in a worker thread (see media-worker-pool.ts).');
const data = (workerData ?? {}) as MediaWorkerData;
const controllers = new Map<number, AbortController>();

function post(message: WorkerToPoolMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function run(id: number, message: Extract<PoolToWorkerMessage, { type: 'run' }>): Promise<void> {
  const controller = new AbortController();
  controllers.set(id, controller);
  try {
    const result = await preprocessMedia(message.item, {
      limits: message.limits,
      signal: controller.signal,
      ffmpegPath: data.ffmpegPath,
      ffprobePath: data.ffprobePath,
      onProcessSpawn: (pid) => post({ type: 'spawn', id, pid }),
    });
    // preprocessMedia guarantees pixelValues owns its whole buffer, so this moves it without a copy.
    post({ type: 'done', id, result }, [result.pixelValues.buffer as ArrayBuffer]);
  } catch (error) {
    post({ type: 'failed', id, error: serializeError(error) });
  } finally {
    controllers.delete(id);
  }
}

port.on('message', (message: PoolToWorkerMessage) => {
  if (message.type === 'cancel') controllers.get(message.id)?.abort();
  else void run(message.id, message);
});
