// JSON bodies for Fastify. Small ones are parsed by Fastify's own parser on the main thread; large
// ones (a 64 MiB limit admits 30 MB of structured-choice strings) are parsed in a worker thread, so
// the event loop keeps answering /health meanwhile (issue 17: JSON.parse of 30 MB holds it ~150 ms,
// then validation refuses the body anyway). Only the structured clone of the result costs the main
// thread, a copy of the strings.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/module-worker.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import type { BodySizeLimits, SizeRefusal } from './body-size-limits.js';

/** Bodies from this size on are parsed in the worker (JSON.parse runs at a few hundred MB/s). */
export const LARGE_JSON_BYTES = 1024 * 1024;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

function startWorker(limits: BodySizeLimits): Worker {
  return startModuleWorker(import.meta.url, 'json-parse-worker', { workerData: limits });
}

/** One lazily started worker; a crash fails the bodies in flight and the next body starts a new one. */
class JsonParseWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly limits: BodySizeLimits) {}

  parse(bytes: Buffer): Promise<unknown> {
    const worker = this.running();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, bytes });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private running(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = startWorker(this.limits);
    worker.unref();
    worker.on('message', (message: { id: number; value?: unknown; error?: string; refusal?: SizeRefusal }) => {
      const entry = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.refusal !== undefined) {
        const { code, message: text, param } = message.refusal;
        entry?.reject(new ApiError(code, { message: text, param }));
      } else if (message.error !== undefined)
        entry?.reject(
          Object.assign(new SyntaxError(message.error), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }),
        );
      else entry?.resolve(message.value);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const entry of this.pending.values()) entry.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('the JSON parse worker stopped')));
    this.worker = worker;
    return worker;
  }
}

/** Replaces Fastify's application/json parser with one that sends large bodies to a worker. */
export function registerJsonParser(app: FastifyInstance, limits: BodySizeLimits): void {
  const small = app.getDefaultJsonParser('error', 'error');
  const worker = new JsonParseWorker(limits);
  app.addHook('onClose', async () => worker.close());
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void) => {
      if (body.length < LARGE_JSON_BYTES) return small(request, body.toString('utf8'), done);
      worker.parse(body).then(
        (value) => done(null, value),
        (error: Error) => done(error, undefined),
      );
    },
  );
}
