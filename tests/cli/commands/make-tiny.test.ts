import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CliError } from '../../../src/cli/cli-error.js';
import { run } from '../../../src/cli/commands/make-tiny.js';
import { openCheckpoint } from '../../../src/convert/safetensors-reader.js';
import { withTemporaryFolder } from '../../convert/safetensors-fixtures.js';

describe('shotvl make-tiny', () => {
  it('writes the tiny preset and reports it', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await withTemporaryFolder(async (root) => {
        expect(await run([join(root, 'model'), '--seed', '3', '--untied'])).toBe(0);
        expect(String(stdout.mock.calls.at(-1)?.[0])).toContain('tiny checkpoint');
        expect(await readdir(join(root, 'model'))).toContain('model.safetensors');
        const reader = await openCheckpoint(join(root, 'model'));
        expect(reader.has('lm_head.weight')).toBe(true);
        await reader.close();
        // A second run into the same folder is refused unless --force is given.
        await expect(run([join(root, 'model')])).rejects.toThrow(/already exists/);
        expect(await run([join(root, 'model'), '--force'])).toBe(0);
      });
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });

  it('rejects bad arguments with usage errors', async () => {
    await expect(run([])).rejects.toBeInstanceOf(CliError);
    await expect(run(['out', '--preset', '7b'])).rejects.toThrow("--preset must be one of tiny, small, 3b, got '7b'");
    await expect(run(['out', '--seed=-1'])).rejects.toThrow('--seed must be a non-negative integer');
    await expect(run(['out', '--seed', '-1'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['out', '--bogus'])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(['out', '--seed', '1e3'])).rejects.toMatchObject({ exitCode: 2 });
  });
});
