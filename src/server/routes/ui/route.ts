// GET / and the page's assets: the web page built from web/ into dist/web (`npm run build:web`,
// part of `npm run build`), served by @fastify/static, and GET /ui/config.json, which tells the page
// what it must know before its first API call (whether a key is needed). Both stay off with --no-ui.
//
// Only the files present at start-up get routes (`wildcard: false`), so every other path still
// reaches the API's not-found handler and its OpenAI-style 404. Caching: asset names carry a content
// hash, so they are immutable; index.html is revalidated on every load so a new build is picked up.
// Every page response carries a Content-Security-Policy that allows scripts and styles from this
// server only (no inline code) and network requests to this server only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../../route-context.js';
import { AnalyzeShotOptions } from '../analyze-shot/schema.js';

/** dist/web beside dist/server (and beside src/server when run from the sources with tsx). */
export const DEFAULT_UI_DIRECTORY = fileURLToPath(new URL('../../../../dist/web/', import.meta.url));
export const UI_CONFIG_URL = '/ui/config.json';
/** Where the build puts hashed bundles: `assets/<name>-<hash>.<ext>`, and their compressed twins. */
const HASHED_ASSETS = /^assets\/[\w-]+-[A-Z0-9]{8,}\.(js|css)(\.map)?(\.gz|\.br)?$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Images and clips the person picks are shown from blob: and data: URLs; a pasted https URL is shown
 * as the preview the server will fetch. Nothing else leaves the page.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https:",
  "media-src 'self' data: blob: https:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What GET /ui/config.json answers. */
export interface UiConfig {
  api_key_required: boolean;
  model: string;
  max_upload_bytes: number;
  max_media_items: number;
  /** Whether /analyze-shot takes `segment` (splitting a clip into shots), read from its schema. */
  shot_segmentation: boolean;
}

export function registerUiRoutes(app: FastifyInstance, context: RouteContext, directory = DEFAULT_UI_DIRECTORY): void {
  if (!context.config.ui) return;
  app.get(UI_CONFIG_URL, async (_request, reply): Promise<UiConfig> => {
    reply.header('cache-control', 'no-store');
    return {
      api_key_required: context.config.apiKey !== undefined,
      model: context.servedModelName,
      max_upload_bytes: context.config.mediaFetch.maxBytes,
      max_media_items: context.config.maxMediaItemsPerRequest,
      shot_segmentation: 'segment' in AnalyzeShotOptions.properties,
    };
  });
  if (!existsSync(join(directory, 'index.html'))) {
    // A checkout built with `tsc` alone: the API works, the page is missing, and the log says why.
    app.log.warn({ directory }, 'web page not built (run npm run build:web); serving the API only');
    return;
  }
  void app.register(fastifyStatic, {
    root: directory,
    prefix: '/',
    wildcard: false,
    // An array: with a plain string the precompressed lookup of the index finds nothing.
    index: ['index.html'],
    // The build writes .gz and .br twins; send picks one by Accept-Encoding, they get no routes.
    preCompressed: true,
    globIgnore: ['**/*.gz', '**/*.br'],
    decorateReply: false,
    cacheControl: false,
    setHeaders(reply, path) {
      const relative = path.slice(directory.length).replace(/^\/+/, '');
      reply.header('cache-control', HASHED_ASSETS.test(relative) ? IMMUTABLE : 'no-cache');
      reply.header('content-security-policy', UI_CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    },
  });
}
