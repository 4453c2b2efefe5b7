// `shotvl serve`: resolves the model (download and convert on first start), picks the device,
// starts the engine and the HTTP server, and drains on SIGTERM/SIGINT. The only place that listens.
import pino from 'pino';
import { CliError } from '../cli-error.js';
import { TerminalProgressBar } from '../progress-bar.js';
import { resolveModel } from '../serve/resolve-model.js';
import {
  loadServerConfig,
  describeServerConfig,
  ServerConfigError,
  SERVER_SETTINGS,
} from '../../config/server-config.js';
import { loadHubSettings } from '../../config/hub-settings.js';
import { loadCudaEnvironment } from '../../config/cuda-environment.js';
import { selectDevice } from '../../cuda/select-device.js';
import { createSystemProbes } from '../../cuda/system-probes.js';
import { mergeMediaLimits } from '../../media/media-limits.js';
import { assembleEngine, chooseModelFormat } from '../engine-assembly.js';
import { MediaLoader } from '../../server/media/media-loader.js';
import { startServer, stopServer } from '../../server/lifecycle.js';

function help(): string {
  const flags = Object.values(SERVER_SETTINGS).map((setting) => `  --${setting.flag.padEnd(26)} (env ${setting.env})`);
  return [
    'usage: shotvl serve [--model DIR | HF-REPO-ID | tiny] [options]',
    '',
    'options (see README for defaults):',
    ...flags,
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  let config;
  try {
    config = loadServerConfig(argv);
  } catch (error) {
    if (error instanceof ServerConfigError) throw new CliError(error.message, 2);
    throw error;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'shotvl-server' } });
  logger.info({ config: describeServerConfig(config) }, 'configuration');

  const probes = createSystemProbes(loadCudaEnvironment());
  const selection = await selectDevice(config.device, probes, logger);
  const onCuda = selection.device !== 'cpu';
  const hub = loadHubSettings();
  const resolved = await resolveModel(config.model, {
    modelStore: hub.modelStore,
    formats: onCuda ? ['fp16'] : ['q4', 'int8'],
    progress: new TerminalProgressBar(),
    log: (message) => logger.info(message),
  });
  const requested = config.engine.dtype === 'auto' ? undefined : config.engine.dtype;
  const choice = chooseModelFormat(resolved.modelDir, onCuda ? 'cuda' : 'cpu', requested);
  if (choice.note !== undefined) logger.warn({ format: choice.format }, choice.note);
  logger.info({ modelDir: resolved.modelDir, format: choice.format, device: selection.device }, 'loading model');

  const assembled = await assembleEngine({
    media: {
      workers: config.engine.mediaWorkers,
      limits: mergeMediaLimits({
        maxFrameListPixels: config.maxFrameListPixels,
        maxVideoTokens: config.engine.limits.maxModelLength,
      }),
    },
    modelDir: resolved.modelDir,
    modelId: config.servedModelNames[0] ?? resolved.modelId,
    format: choice.format,
    executionProviders: [...selection.executionProviders],
    ...(config.engine.threads === undefined ? {} : { intraOpThreads: config.engine.threads }),
    limits: config.engine.limits,
    logger,
  });
  const mediaResolver = new MediaLoader({
    limits: {
      maxBytes: config.mediaFetch.maxBytes,
      connectTimeoutMs: config.mediaFetch.connectTimeoutMs,
      totalTimeoutMs: config.mediaFetch.totalTimeoutMs,
      maxRedirects: config.mediaFetch.maxRedirects,
    },
    allowPrivateAddresses: config.allowPrivateMediaUrls,
    ...(config.allowedLocalMediaPath === undefined ? {} : { allowedLocalMediaPath: config.allowedLocalMediaPath }),
  });
  const { engine } = assembled;
  // Shutdown order: the listener (in-flight requests drained), the engine and its media workers, then
  // the media fetcher's connections.
  const closeAll = async () => {
    try {
      await assembled.close();
    } finally {
      await mediaResolver.close();
    }
  };
  const server = await startServer({ engine, config, logger, mediaResolver }).catch(async (error: unknown) => {
    await closeAll();
    throw error;
  });
  logger.info({ url: server.url, model: engine.model.id }, 'listening');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, graceSeconds: config.drainGraceMs / 1000 }, 'draining');
      void stopServer(server)
        .then(closeAll)
        .catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'))
        .finally(resolve);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  logger.info('stopped');
  return 0;
}
