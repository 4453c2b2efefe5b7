import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/cuda/command-runner.js';

const node = process.execPath;

describe('runCommand', () => {
  it('returns stdout of a command that succeeds', async () => {
    expect(await runCommand(node, ['-e', 'process.stdout.write("GPU 0: fake")'], 5_000)).toEqual({
      ok: true,
      stdout: 'GPU 0: fake',
    });
  });

  it('reports a program that does not exist as not_found', async () => {
    const result = await runCommand('shotvl-no-such-program', ['-L'], 5_000);
    expect(result).toEqual({
      ok: false,
      reason: 'not_found',
      message: 'shotvl-no-such-program is not installed or not on PATH',
    });
  });

  it('reports a non-zero exit with the first line of output', async () => {
    const result = await runCommand(
      node,
      [
        '-e',
        'console.log("NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."); process.exit(9)',
      ],
      5_000,
    );
    expect(result).toMatchObject({ ok: false, reason: 'failed' });
    expect(!result.ok && result.message).toMatch(/exited with status 9: NVIDIA-SMI has failed/);
  });

  it('kills a command that hangs and reports timed_out', async () => {
    const started = Date.now();
    const result = await runCommand(node, ['-e', 'setTimeout(() => {}, 60_000)'], 300);
    expect(result).toMatchObject({ ok: false, reason: 'timed_out' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
