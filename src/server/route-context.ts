// What every route registration receives from buildApp: the engine, the configuration and the
// server's own state. Routes reach the engine only through this.
import type { ServerConfig } from '../config/server-config.js';
import type { Engine } from '../runtime/engine/engine-api.js';
import type { MediaResolver } from './media-resolver.js';

/** Flipped by stopServer: from then on new requests get 503 `draining`. */
export interface ServerState {
  draining: boolean;
}

export interface RouteContext {
  engine: Engine;
  config: ServerConfig;
  /** The first name of servedModelNames: what metrics carry and a request without `model` means. */
  servedModelName: string;
  /** The names clients may send as `model`: --served-model-name (one or more), else the engine's model id. */
  servedModelNames: readonly string[];
  /** OpenAI's system_fingerprint for this model and server version (see system-fingerprint.ts). */
  systemFingerprint: string;
  mediaResolver: MediaResolver | undefined;
  state: ServerState;
}
