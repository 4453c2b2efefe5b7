// buildApp: the Fastify application with every route, hook and the error handler, never listening
// (tests call app.inject(); lifecycle.ts listens). It talks to the engine only through its API.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config/server-config.js';
import type { Engine } from '../runtime/engine/engine-api.js';
import { registerApiKeyCheck } from './auth.js';
import { systemFingerprint } from './system-fingerprint.js';
import { clientErrorHandler } from './client-errors.js';
import { limitConnections } from './connection-limit.js';
import { registerJsonParser } from './json/large-json-parser.js';
import { promptByteLimit } from '../runtime/engine/engine-limits.js';
import { MAX_CHOICE_CHARACTERS, MAX_CHOICE_STRINGS } from './routes/chat-completions/schema.js';
import { registerCors } from './cors.js';
import { ApiError, frameworkErrorHandler, registerErrorHandlers } from './errors.js';
import type { MediaResolver } from './media-resolver.js';
import { requestIdOf } from './request-id.js';
import type { RouteContext, ServerState } from './route-context.js';
import { registerAnalyzeShotRoute } from './routes/analyze-shot/route.js';
import { registerChatCompletionsRoute } from './routes/chat-completions/route.js';
import { registerDetokenizeRoute } from './routes/detokenize/route.js';
import { registerDocsRoute } from './routes/docs/route.js';
import { healthSpec, livenessSpec } from './routes/health/schema.js';
import { registerHealthRoute } from './routes/health/route.js';
import { metricsSpec } from './routes/metrics/schema.js';
import { registerMetricsRoute } from './routes/metrics/route.js';
import { registerModelsRoute } from './routes/models/route.js';
import { registerOpenApiRoute } from './routes/openapi/route.js';
import { registerResponsesRoute } from './routes/responses/route.js';
import { registerTokenizeRoute } from './routes/tokenize/route.js';
import { registerUiRoutes } from './routes/ui/route.js';

export interface AppOptions {
  engine: Engine;
  config: ServerConfig;
  /** A pino logger; without one, Fastify makes one at config.logLevel. */
  logger?: FastifyBaseLogger;
  /** Turns media URLs into bytes (src/server/media/); without one, image and video parts get 400. */
  mediaResolver?: MediaResolver;
  /** Shared with lifecycle.ts, which flips `draining` on shutdown. */
  state?: ServerState;
  /** The built web page (default dist/web); tests point it elsewhere. */
  uiDirectory?: string;
}

/** Routes that keep answering while the server drains: orchestrators watch them. */
const OPEN_WHILE_DRAINING = new Set([healthSpec.url, livenessSpec.url, metricsSpec.url]);

/**
 * Ajv as an OpenAI-compatible API needs it: no type coercion ("0.5" is not a number), nothing
 * removed or defaulted behind the client's back, the first error only (allErrors invites DoS),
 * `verbose` for readable messages, `discriminator` for the content-part union.
 */
const AJV_OPTIONS = {
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  allErrors: false,
  verbose: true,
  discriminator: true,
} as const;

/** How often Node checks the request and header deadlines: a tenth of the shorter one, 50 ms to 1 s. */
function checkingInterval(config: ServerConfig): number {
  return Math.min(1000, Math.max(50, Math.floor(Math.min(config.requestTimeoutMs, config.headersTimeoutMs) / 10)));
}

export function buildApp(options: AppOptions): FastifyInstance {
  const { config, engine } = options;
  const state = options.state ?? { draining: false };
  const logger: { current?: FastifyBaseLogger } = {};
  const app: FastifyInstance = Fastify({
    ...(options.logger === undefined ? { logger: { level: config.logLevel } } : { loggerInstance: options.logger }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdOf,
    requestIdHeader: false,
    // Our draining hook answers with the OpenAI envelope instead of Fastify's own 503 body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: AJV_OPTIONS },
    frameworkErrors: frameworkErrorHandler(config.bodyLimitBytes),
    // Slow clients (issue 17). requestTimeout bounds receiving a whole request (headers and body)
    // and is enforced by Node's connection checker, which runs every connectionsCheckingInterval.
    // No socket idle timeout (connectionTimeout): it would also cut long non-streamed generations.
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: checkingInterval(config),
    },
    clientErrorHandler: clientErrorHandler(() => logger.current!),
  }) as unknown as FastifyInstance;
  logger.current = app.log;
  limitConnections(app.server, config.maxConnections, app.log);
  // JSON only: text/plain bodies get 415 rather than a confusing "body must be object".
  app.removeContentTypeParser('text/plain');
  registerJsonParser(app, {
    maxPromptBytes: promptByteLimit({
      maxModelLength: engine.model.maxModelLength,
      maxPromptBytes: config.engine.limits.maxPromptBytes,
    }),
    maxChoiceStrings: MAX_CHOICE_STRINGS,
    maxChoiceCharacters: MAX_CHOICE_CHARACTERS,
    maxChoiceBytes: config.engine.limits.maxChoiceBytes,
  });
  registerErrorHandlers(app, { bodyLimit: config.bodyLimitBytes });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerCors(app, config.corsOrigins);
  app.addHook('onRequest', async (request, reply) => {
    if (!state.draining || OPEN_WHILE_DRAINING.has(request.routeOptions.url ?? '')) return;
    reply.header('connection', 'close');
    throw new ApiError('draining');
  });
  registerApiKeyCheck(app, config.apiKey, { publicDocs: config.publicDocs });

  const servedModelNames = config.servedModelNames.length > 0 ? config.servedModelNames : [engine.model.id];
  const context: RouteContext = {
    engine,
    config,
    servedModelName: servedModelNames[0] as string,
    servedModelNames,
    systemFingerprint: systemFingerprint(engine.model),
    mediaResolver: options.mediaResolver,
    state,
  };
  registerChatCompletionsRoute(app, context);
  registerResponsesRoute(app, context);
  registerAnalyzeShotRoute(app, context);
  registerModelsRoute(app, context);
  registerTokenizeRoute(app, context);
  registerDetokenizeRoute(app, context);
  registerHealthRoute(app, context);
  registerMetricsRoute(app, context);
  registerOpenApiRoute(app);
  registerDocsRoute(app);
  registerUiRoutes(app, context, options.uiDirectory);
  return app;
}
