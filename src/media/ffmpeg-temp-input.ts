// ffmpeg reads MP4 files by seeking (the index, `moov`, is often at the end), so in-memory uploads are
// written to a private temporary file first. The file lives in its own directory (mode 0700) under the
// OS temp folder, and is removed whatever happens to the work done with it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes `bytes` to a fresh temporary file, runs `work(path)`, then deletes the file and its folder. */
export async function withTemporaryFile<T>(
  bytes: Uint8Array,
  work: (path: string) => Promise<T>,
  directory: string = tmpdir(),
): Promise<T> {
  const folder = await mkdtemp(join(directory, 'shotvl-video-'));
  try {
    const path = join(folder, 'input');
    await writeFile(path, bytes, { mode: 0o600, flag: 'wx' });
    return await work(path);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
