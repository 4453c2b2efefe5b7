// Runs one command in a child process under GNU time (`/usr/bin/time -v`) and returns its wall
// time and peak resident set size (the kernel's ru_maxrss of the child: the high-water mark of the
// one process, not a sampled estimate). The child's stdout and stderr go to a log file so a long
// run can be followed with `tail -f`.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';

export const GNU_TIME = '/usr/bin/time';

export interface ChildMeasurement {
  exitCode: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** Peak resident set size in bytes. */
  maxRssBytes: number;
  /** The child's stdout (also in the log file). */
  stdout: string;
}

/** `node --import tsx <script> ...args`, the way to run a TypeScript entry point in one process. */
export function tsxCommand(script: string, args: string[]): string[] {
  return [process.execPath, '--import', 'tsx', script, ...args];
}

export async function runMeasured(
  command: string[],
  logFile: string,
  stdoutFile = `${logFile}.stdout`,
): Promise<ChildMeasurement> {
  const timeFile = `${logFile}.time`;
  const log = openSync(logFile, 'w');
  const out = openSync(stdoutFile, 'w');
  const started = process.hrtime.bigint();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(GNU_TIME, ['-v', '-o', timeFile, ...command], { stdio: ['ignore', out, log] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  closeSync(log);
  closeSync(out);
  const report = readFileSync(timeFile, 'utf8');
  rmSync(timeFile, { force: true });
  const maxRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
  if (maxRss === null) throw new Error(`no peak RSS in GNU time's report:\n${report}`);
  return { exitCode, seconds, maxRssBytes: Number(maxRss[1]) * 1024, stdout: readFileSync(stdoutFile, 'utf8') };
}

export function gibibytes(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(2);
}
