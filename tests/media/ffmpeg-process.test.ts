import { describe, expect, it } from 'vitest';
import { ProcessOutputTooLargeError, runProcess } from '../../src/media/ffmpeg-process.js';
import {
  FfmpegUnavailableError,
  MediaAbortedError,
  MediaError,
  MediaTimeoutError,
} from '../../src/media/media-errors.js';
import { processIsGone } from './video-fixtures.js';

// Node itself stands in for ffmpeg: a child whose behaviour the test controls exactly.
const node = process.execPath;
const sleepForever = [
  '-e',
  'setInterval(() => {}, 1000); process.stderr.write("secret /etc/path ffmpeg internals\\n")',
];

describe('runProcess', () => {
  it('collects stdout and the exit code', async () => {
    const result = await runProcess(node, ['-e', 'process.stdout.write("hello"); process.exit(3)'], {
      timeoutMs: 10_000,
    });
    expect(result.stdout.toString()).toBe('hello');
    expect(result.exitCode).toBe(3);
  });

  it('passes arguments verbatim, with no shell', async () => {
    const tricky = '$(touch /tmp/never-created) ; `id` | cat && "quoted"';
    const result = await runProcess(node, ['-e', 'process.stdout.write(process.argv[1])', tricky], {
      timeoutMs: 10_000,
    });
    expect(result.stdout.toString()).toBe(tricky);
  });

  it('kills the process at the wall-time limit and leaves none behind', async () => {
    let pid = 0;
    const started = Date.now();
    const run = runProcess(node, sleepForever, { timeoutMs: 300, onSpawn: (value) => (pid = value) });
    await expect(run).rejects.toBeInstanceOf(MediaTimeoutError);
    // The child sleeps forever: the typed timeout is what ended it. Generous bound on purpose.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pid).toBeGreaterThan(0);
    expect(processIsGone(pid)).toBe(true);
  });

  it('kills the process when the signal aborts, and the error does not leak stderr', async () => {
    const controller = new AbortController();
    let pid = 0;
    const run = runProcess(node, sleepForever, {
      timeoutMs: 30_000,
      signal: controller.signal,
      onSpawn: (value) => {
        pid = value;
        setTimeout(() => controller.abort(), 100);
      },
    });
    const error = await run.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MediaAbortedError);
    expect(String((error as Error).message)).not.toMatch(/secret|etc|internals/);
    expect(processIsGone(pid)).toBe(true);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let spawned = false;
    await expect(
      runProcess(node, sleepForever, { timeoutMs: 1000, signal: controller.signal, onSpawn: () => (spawned = true) }),
    ).rejects.toBeInstanceOf(MediaAbortedError);
    expect(spawned).toBe(false);
  });

  it('stops the process when the stdout consumer throws', async () => {
    let pid = 0;
    const stop = new Error('enough');
    const run = runProcess(node, ['-e', 'setInterval(() => process.stdout.write("x".repeat(1000)), 5)'], {
      timeoutMs: 30_000,
      onSpawn: (value) => (pid = value),
      onStdout: () => {
        throw stop;
      },
    });
    await expect(run).rejects.toBe(stop);
    expect(processIsGone(pid)).toBe(true);
  });

  it('bounds collected stdout', async () => {
    const run = runProcess(node, ['-e', 'process.stdout.write("y".repeat(100000))'], {
      timeoutMs: 10_000,
      maxStdoutBytes: 1000,
    });
    await expect(run).rejects.toBeInstanceOf(ProcessOutputTooLargeError);
  });

  it('reports a missing executable as FfmpegUnavailableError', async () => {
    const error = await runProcess('/nonexistent/ffmpeg-binary', [], { timeoutMs: 1000 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FfmpegUnavailableError);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as FfmpegUnavailableError).code).toBe('ffmpeg_unavailable');
    expect((error as Error).message).not.toContain('/nonexistent');
  });

  it('keeps only a bounded tail of stderr', async () => {
    const result = await runProcess(node, ['-e', 'process.stderr.write("e".repeat(100000) + "END")'], {
      timeoutMs: 10_000,
    });
    expect(result.stderrTail.length).toBeLessThanOrEqual(16 * 1024);
    expect(result.stderrTail.endsWith('END')).toBe(true);
  });
});
