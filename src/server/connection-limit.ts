// --max-connections: Node's own bound on open sockets (server.maxConnections), which closes a
// connection beyond it as it arrives, before any byte is read. Every refusal is counted; a warning
// says how many, at most once per interval, so a flood cannot flood the log too.
import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';

/** At most one "connections refused" warning per this many milliseconds. */
export const CONNECTION_DROP_WARNING_INTERVAL_MS = 10_000;

export function limitConnections(
  server: Server,
  maxConnections: number,
  log: Pick<FastifyBaseLogger, 'warn'>,
  warningIntervalMs = CONNECTION_DROP_WARNING_INTERVAL_MS,
): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let lastWarning = -Infinity;
  server.on('drop', () => {
    dropped += 1;
    const now = performance.now();
    if (now - lastWarning < warningIntervalMs) return;
    lastWarning = now;
    log.warn({ dropped, maxConnections }, 'connections refused: --max-connections are open');
    dropped = 0;
  });
}
