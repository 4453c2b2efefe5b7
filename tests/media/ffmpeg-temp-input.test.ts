import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTemporaryFile } from '../../src/media/ffmpeg-temp-input.js';

describe('withTemporaryFile', () => {
  let parent: string;
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'shotvl-temp-test-'));
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('hands over a private file holding the bytes and removes it afterwards', async () => {
    const bytes = Uint8Array.from([1, 2, 3, 250]);
    const seen = await withTemporaryFile(
      bytes,
      async (path) => {
        expect(Buffer.compare(await readFile(path), bytes)).toBe(0);
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        expect((await stat(dirname(path))).mode & 0o777).toBe(0o700);
        return path;
      },
      parent,
    );
    expect(seen.startsWith(parent)).toBe(true);
    expect(await readdir(parent)).toEqual([]);
  });

  it('removes the file when the work fails', async () => {
    const failure = new Error('decoder failed');
    await expect(withTemporaryFile(new Uint8Array(10), () => Promise.reject(failure), parent)).rejects.toBe(failure);
    expect(await readdir(parent)).toEqual([]);
  });
});
