// `shotvl serve` as a child process (the real command, as an orchestrator runs it), with its pino
// JSON log lines collected for assertions. Used by the load-balancer test.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface ServeProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  /** Every JSON log line, in order. */
  readonly logLines: Record<string, unknown>[];
  readonly stderr: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** This process's environment minus SHOTVL_* settings (an API key or port there would change the test). */
export function environmentWithoutShotvlSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SHOTVL_')));
}

/** Starts `shotvl serve ...flags` on a free port and resolves once it logs `listening`. */
export function startServe(
  name: string,
  flags: string[],
  environment: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0', ...flags],
    { cwd: ROOT, env: { ...environmentWithoutShotvlSettings(), ...environment }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logLines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${name}: not listening within ${timeoutMs} ms: ${stderr.join('')}`)),
      timeoutMs,
    );
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code ?? signal}) before listening: ${stderr.join('')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logLines.push(entry);
      if (entry['msg'] === 'listening' && typeof entry['url'] === 'string') {
        clearTimeout(timer);
        done({ name, child, port: Number(new URL(entry['url']).port), logLines, stderr, exited });
      }
    });
  });
}

/** Ends a child that is still running (SIGKILL: it is only cleanup). */
export function killIfRunning(child: ChildProcess | undefined): void {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
