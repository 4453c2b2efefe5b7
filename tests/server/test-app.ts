// Shared set-up for the HTTP tests: an app over a FakeEngine and a FakeMediaResolver, a quiet
// logger, and helpers for SSE bodies and data URLs.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { parseServerConfig, type ServerConfig } from '../../src/config/server-config.js';
import { buildApp } from '../../src/server/app.js';
import { FakeEngine } from './fake-engine.js';
import { FakeMediaResolver } from './fake-media-resolver.js';

/** A 1×1 PNG. */
export const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
export const PNG_DATA_URL = `data:image/png;base64,${PNG_BASE64}`;
/** Two JPEG-magic "frames" in vLLM's frame-list form. */
export const FRAMES_DATA_URL = `data:video/jpeg;base64,${Buffer.from([0xff, 0xd8, 0xff, 1]).toString('base64')},${Buffer.from([0xff, 0xd8, 0xff, 2]).toString('base64')}`;

export function testConfig(argv: string[] = [], environment: Record<string, string> = {}): ServerConfig {
  return parseServerConfig(['--log-level', 'silent', ...argv], environment);
}

export interface TestApp {
  app: FastifyInstance;
  engine: FakeEngine;
  resolver: FakeMediaResolver;
  config: ServerConfig;
}

export interface TestAppOptions {
  engine?: FakeEngine;
  argv?: string[];
  resolver?: FakeMediaResolver;
  logger?: FastifyBaseLogger;
}

export function createTestApp(options: TestAppOptions = {}): TestApp {
  const engine = options.engine ?? new FakeEngine();
  const resolver = options.resolver ?? new FakeMediaResolver();
  const config = testConfig(options.argv);
  const app = buildApp({
    engine,
    config,
    mediaResolver: resolver,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  return { app, engine, resolver, config };
}

export function userMessage(content: unknown): { role: 'user'; content: unknown } {
  return { role: 'user', content };
}

/** The JSON payloads of an SSE body, and whether it ended with [DONE]. */
export function parseSse(body: string): { events: unknown[]; done: boolean } {
  const events: unknown[] = [];
  let done = false;
  for (const block of body.split('\n\n')) {
    if (block.trim() === '') continue;
    if (!block.startsWith('data: ')) throw new Error(`not an SSE data event: ${block.slice(0, 80)}`);
    const data = block.slice('data: '.length);
    if (data === '[DONE]') done = true;
    else events.push(JSON.parse(data));
  }
  return { events, done };
}
