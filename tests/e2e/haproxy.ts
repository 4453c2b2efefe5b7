// HAProxy from Debian in front of replicas on loopback: writes its configuration, runs it in the
// foreground with its logs on stdout/stderr, and reads server states from its CSV stats page.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((path) => existsSync(path));

/** The HAProxy executable, or an error saying how to install it (tests never skip without it). */
export function requireHaproxy(): string {
  if (HAPROXY === undefined) throw new Error('haproxy is not installed: apt-get install haproxy (.ci/run does)');
  return HAPROXY;
}

export interface Balancer {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT, the frontend clients use. */
  readonly url: string;
  /** Everything HAProxy wrote: request logs (httplog) and server state changes. */
  readonly output: string[];
  /** Server name -> status (UP, DOWN, ...) from the stats page. */
  states(): Promise<Record<string, string>>;
}

/** A port nobody listens on right now (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The configuration a production deployment would use, with intervals shortened for a test:
 * health checks of GET /health every 300 ms with 3 s to answer (a busy replica answers late, not
 * never), three failures in a row taking a replica out (one late answer on a loaded machine
 * is not a dead replica) and two successes bringing it back, least-connections
 * balancing, and a connection that fails redispatched to another replica. No layer-7 retries: a request cut off mid-flight or refused with 503 goes back to the
 * client, which retries it (that is what the test checks the clients for).
 */
export function haproxyConfiguration(frontendPort: number, statsPort: number, servers: Record<string, number>): string {
  return [
    'global',
    '  log stdout format raw local0 info',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option log-health-checks',
    '  timeout connect 1s',
    '  timeout check 3s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  retries 3',
    '  option redispatch 1',
    'frontend shotvl',
    `  bind 127.0.0.1:${frontendPort}`,
    '  default_backend replicas',
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    'backend replicas',
    '  balance leastconn',
    '  option httpchk GET /health',
    '  http-check expect status 200',
    '  default-server inter 300ms fall 3 rise 2',
    ...Object.entries(servers).map(([name, port]) => `  server ${name} 127.0.0.1:${port} check`),
    '',
  ].join('\n');
}

export async function startHaproxy(folder: string, servers: Record<string, number>): Promise<Balancer> {
  const haproxy = requireHaproxy();
  const [frontendPort, statsPort] = [await freePort(), await freePort()];
  const configuration = join(folder, 'haproxy.cfg');
  writeFileSync(configuration, haproxyConfiguration(frontendPort, statsPort, servers));
  const child = spawn(haproxy, ['-db', '-f', configuration], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const balancer: Balancer = {
    child,
    url: `http://127.0.0.1:${frontendPort}`,
    output,
    async states() {
      const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
      const rows = csv.split('\n').map((line) => line.split(','));
      const status = rows[0]!.indexOf('status');
      return Object.fromEntries(
        rows.filter((row) => row[0] === 'replicas' && row[1] !== 'BACKEND').map((row) => [row[1], row[status]!]),
      );
    },
  };
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${output.join('')}`);
    try {
      await balancer.states();
      return balancer;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`haproxy's stats page did not answer: ${output.join('')}`);
}
