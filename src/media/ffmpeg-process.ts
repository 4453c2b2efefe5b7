// One ffmpeg/ffprobe child process, run with a fixed argument array (never a shell, so no file name or
// option can be interpreted as a command), a wall-time budget and an AbortSignal. The threat model is
// untrusted media: a crafted file can make a decoder slow or make it loop, so every exit path ends the
// process with SIGKILL and the promise settles only after the process has exited — no child outlives
// the call. stderr is kept (its tail) for logs but never put into an error message: ffmpeg prints
// paths, versions and library internals.
import { spawn } from 'node:child_process';
import { FfmpegUnavailableError, MediaAbortedError, MediaTimeoutError } from './media-errors.js';
import { ShotvlError } from '../util/shotvl-error.js';

/** How much of stderr is kept: enough for a decoder's last complaints, bounded for hostile input. */
const STDERR_TAIL_BYTES = 16 * 1024;

export interface RunProcessOptions {
  /** Wall time from spawn to exit; past it the process is killed and MediaTimeoutError thrown. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Receives stdout as it arrives. Throwing from it kills the process and rejects the call with that
   * error (a consumer that has seen enough, or found the output invalid, stops the decoder this way).
   */
  onStdout?: (chunk: Buffer) => void;
  /** When `onStdout` is absent, stdout is collected; more than this many bytes is an error. */
  maxStdoutBytes?: number;
  /** Called with the child's pid once it runs (tests use it to prove the process is gone). */
  onSpawn?: (pid: number) => void;
}

export interface ProcessResult {
  /** Exit code, or null when the process was ended by a signal. */
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** Collected stdout (empty when `onStdout` consumed it). */
  stdout: Buffer;
  /** The last STDERR_TAIL_BYTES of stderr, for logs only. */
  stderrTail: string;
}

/** Raised when collected stdout exceeds `maxStdoutBytes`. */
export class ProcessOutputTooLargeError extends ShotvlError<'process_output_too_large'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('process_output_too_large', message, options);
  }
}

/**
 * Runs `executable args...` and resolves when it has exited (whatever its exit code: callers decide
 * what a failure means). Rejects with MediaAbortedError, MediaTimeoutError, FfmpegUnavailableError,
 * ProcessOutputTooLargeError or the error thrown by `onStdout`; in every case the process is dead.
 */
export function runProcess(
  executable: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<ProcessResult> {
  return new Promise<ProcessResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new MediaAbortedError());
      return;
    }
    const child = spawn(executable, [...args], { stdio: ['ignore', 'pipe', 'pipe'], shell: false, windowsHide: true });
    let failure: unknown;
    let spawned = false;
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrTail = Buffer.alloc(0);

    const kill = (reason: unknown) => {
      if (failure === undefined) failure = reason;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => kill(new MediaTimeoutError(`Media decoding took longer than ${options.timeoutMs} ms.`)),
      options.timeoutMs,
    );
    const onAbort = () => kill(new MediaAbortedError());
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('spawn', () => {
      spawned = true;
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return;
      if (options.onStdout) {
        try {
          options.onStdout(chunk);
        } catch (error) {
          kill(error);
        }
        return;
      }
      stdoutBytes += chunk.length;
      if (options.maxStdoutBytes !== undefined && stdoutBytes > options.maxStdoutBytes) {
        kill(new ProcessOutputTooLargeError(`The media tool printed more than ${options.maxStdoutBytes} bytes.`));
        return;
      }
      stdoutChunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const joined = Buffer.concat([stderrTail, chunk]);
      stderrTail = joined.length > STDERR_TAIL_BYTES ? joined.subarray(joined.length - STDERR_TAIL_BYTES) : joined;
    });
    child.once('error', (error) => {
      // 'error' without 'spawn' means the executable could not be started; 'close' may never come.
      if (!spawned) {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        // The message names no path: the executable setting is the operator's, not the client's business.
        reject(
          failure ??
            new FfmpegUnavailableError('Video decoding is unavailable: ffmpeg could not be started on this server.', {
              cause: error,
            }),
        );
        return;
      }
      kill(error);
    });
    // 'close' fires after the process exited and its pipes are drained: nothing is left running.
    child.once('close', (exitCode, exitSignal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      resolve({ exitCode, exitSignal, stdout: Buffer.concat(stdoutChunks), stderrTail: stderrTail.toString('utf8') });
    });
  });
}
