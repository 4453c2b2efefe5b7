// Runs an ES-module script in a fresh Node process with tsx's loader (so it can import the sources
// by file URL), for tests that need a process of their own: whether it exits by itself, or code that
// cannot load in vitest's VM (xgrammar). A script still running after `timeoutMs` is killed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ScriptRun {
  code: number | null;
  signal: string | null;
  /** What the script printed on stdout (stderr goes to the test's). */
  stdout: string;
}

export async function runModuleScript(script: string, timeoutMs = 30_000): Promise<ScriptRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return { code, signal, stdout };
}
