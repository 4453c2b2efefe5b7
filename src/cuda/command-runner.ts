// Runs a diagnostic program (nvidia-smi, ldconfig, ldd) with a time limit. Never throws and never
// uses a shell: a probe that cannot run is an answer ("not found", "timed out"), not a crash.
import { execFile } from 'node:child_process';

export type CommandResult =
  { ok: true; stdout: string } | { ok: false; reason: 'not_found' | 'timed_out' | 'failed'; message: string };

export type CommandRunner = (file: string, args: readonly string[], timeoutMs: number) => Promise<CommandResult>;

/** Output larger than this is a misbehaving tool; ldconfig -p on a busy host prints ~100 KB. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

interface ExecFailure {
  code?: unknown;
  killed?: boolean;
  signal?: unknown;
  message?: unknown;
}

function firstLine(output: string): string | undefined {
  return output
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
}

export const runCommand: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ ok: true, stdout });
          return;
        }
        const failure = error as ExecFailure;
        if (failure.code === 'ENOENT') {
          resolve({ ok: false, reason: 'not_found', message: `${file} is not installed or not on PATH` });
        } else if (failure.killed === true && failure.signal === 'SIGKILL') {
          resolve({ ok: false, reason: 'timed_out', message: `${file} did not answer within ${timeoutMs} ms` });
        } else {
          // nvidia-smi reports "couldn't communicate with the NVIDIA driver" on stdout, others on stderr.
          const detail = firstLine(stderr) ?? firstLine(stdout) ?? '';
          const exit =
            typeof failure.code === 'number'
              ? `exited with status ${failure.code}`
              : String(failure.message ?? 'failed');
          resolve({ ok: false, reason: 'failed', message: `${file} ${exit}${detail === '' ? '' : `: ${detail}`}` });
        }
      },
    );
  });
