// Starts a worker thread running a module beside the caller: its compiled JavaScript (dist/), or,
// when the caller runs from its TypeScript source (vitest, tsx), the .ts entry through tsx's loader
// registered inside the worker. One place for the worker threads of the model runner, the grammar
// engine, the media pool, large JSON bodies and the off-thread tokenizer.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `callerUrl` is the caller's import.meta.url; `moduleName` the worker module's file name without extension. */
export function startModuleWorker(callerUrl: string, moduleName: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${moduleName}.js`, callerUrl), options);
  const entry = new URL(`./${moduleName}.ts`, callerUrl).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
