// Listening and shutting down. `startServer` builds the app and listens; `stopServer` is what the
// command line runs on SIGTERM/SIGINT:
//   1. stop accepting work: new requests get 503 `draining` (+ Retry-After, Connection: close),
//      /health turns 503 so load balancers move away, /metrics stays up;
//   2. let in-flight generations finish for up to the grace period; the engine aborts the rest
//      (their clients get a 503 or a stream error event);
//   3. close the listener and the remaining connections.
// Closing the engine itself is the caller's job (it may outlive one server).
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { describeServerConfig, type ServerConfig } from '../config/server-config.js';
import type { Engine } from '../runtime/engine/engine-api.js';
import { buildApp, type AppOptions } from './app.js';
import type { ServerState } from './route-context.js';

/** After the grace period, responses get this long to flush before their sockets are cut. */
export const CLOSE_TIMEOUT_MS = 5_000;

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly config: ServerConfig;
  readonly state: ServerState;
  /** e.g. http://127.0.0.1:8000 */
  readonly url: string;
  readonly port: number;
}

const stopping = new WeakMap<RunningServer, Promise<void>>();

export async function startServer(options: Omit<AppOptions, 'state'>): Promise<RunningServer> {
  const state: ServerState = { draining: false };
  const app = buildApp({ ...options, state });
  app.log.info({ config: describeServerConfig(options.config) }, 'server configuration');
  const url = await app.listen({ host: options.config.host, port: options.config.port });
  const port = (app.server.address() as AddressInfo).port;
  return { app, engine: options.engine, config: options.config, state, url, port };
}

/** Drains and closes; safe to call more than once (later calls wait for the first). */
export function stopServer(server: RunningServer, graceMilliseconds = server.config.drainGraceMs): Promise<void> {
  let done = stopping.get(server);
  if (done === undefined) {
    done = drainAndClose(server, graceMilliseconds);
    stopping.set(server, done);
  }
  return done;
}

async function drainAndClose(server: RunningServer, graceMilliseconds: number): Promise<void> {
  const { app, engine, state } = server;
  state.draining = true;
  app.log.info({ graceMilliseconds }, 'draining: new requests get 503, in-flight ones may finish');
  try {
    await engine.drain(graceMilliseconds);
  } catch (error) {
    app.log.error({ err: error }, 'engine drain failed; closing anyway');
  }
  const forceClose = setTimeout(() => app.server.closeAllConnections(), CLOSE_TIMEOUT_MS);
  forceClose.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(forceClose);
  }
  app.log.info('server stopped');
}
