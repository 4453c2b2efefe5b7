// --max-connections: Node's own bound on open sockets (server.maxConnections), which closes a
// connection beyond it as it arrives, before any byte is read. Off (0) by default, as in vLLM and
// llama.cpp's server. Refusals are counted and reported in a warning at most once per interval, so
// a flood cannot flood the log too; the last ones are reported when the interval ends.
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
  if (maxConnections <= 0) return;
  server.maxConnections = maxConnections;
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    if (dropped === 0) {
      timer = undefined;
      return;
    }
    log.warn({ dropped, maxConnections }, 'connections refused: --max-connections are open');
    dropped = 0;
    // The next refusals wait for the interval to end.
    timer = setTimeout(report, warningIntervalMs);
    timer.unref();
  };
  server.on('drop', () => {
    dropped += 1;
    if (timer === undefined) report();
  });
  server.on('close', () => clearTimeout(timer));
}
