// A live server on port 0 over the real tiny-model engine, set up the way `shotvl serve` sets it up:
// the model runner in a worker thread, the real media preprocessor (sharp, ffmpeg) and the real
// MediaLoader (data: URLs decoded in memory). For the end-to-end tests in this folder.
import { readFileSync } from 'node:fs';
import type { InferenceEngine } from '../../src/runtime/engine/inference-engine.js';
import { createMediaPreprocessor } from '../../src/runtime/engine/media-preprocessor.js';
import { startServer, stopServer, type RunningServer } from '../../src/server/lifecycle.js';
import { MediaLoader } from '../../src/server/media/media-loader.js';
import { fixturePath } from '../helpers/fixtures.js';
import { tinyEngine } from '../helpers/test-engine.js';
import { testConfig } from '../server/test-app.js';

export interface LiveTinyServer {
  server: RunningServer;
  engine: InferenceEngine;
  /** The media loader the server uses (for a second server over the same engine). */
  mediaResolver: MediaLoader;
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** The id /v1/models lists and requests must name. */
  modelId: string;
  close(): Promise<void>;
}

export interface LiveTinyServerOptions {
  /** The built web page to serve (default dist/web). */
  uiDirectory?: string;
}

export async function startLiveTinyServer(
  argv: string[] = [],
  options: LiveTinyServerOptions = {},
): Promise<LiveTinyServer> {
  const mediaPreprocessor = createMediaPreprocessor();
  const { engine, dispose } = await tinyEngine({ mediaPreprocessor, inProcess: false });
  const mediaResolver = new MediaLoader();
  let server: RunningServer;
  try {
    server = await startServer({
      engine,
      config: testConfig(['--host', '127.0.0.1', '--port', '0', ...argv]),
      mediaResolver,
      ...(options.uiDirectory === undefined ? {} : { uiDirectory: options.uiDirectory }),
    });
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    server,
    engine,
    mediaResolver,
    url: server.url,
    modelId: engine.model.id,
    async close() {
      await stopServer(server, 1000);
      await dispose();
      await mediaResolver.close();
      await mediaPreprocessor.close();
    },
  };
}

/** The golden 100×100 PNG as a data URL (16 image tokens after merging: small and quick). */
export function goldenImageDataUrl(): string {
  const bytes = readFileSync(fixturePath('golden', 'processor', 'images', 'img_100x100.png'));
  return `data:image/png;base64,${bytes.toString('base64')}`;
}
