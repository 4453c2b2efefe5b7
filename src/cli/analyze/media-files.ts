/**
 * The files `shotvl analyze` works through: every file named on the command line, and inside every
 * folder named there, recursively, the files whose extension is that of a still or a clip (a
 * folder of footage also holds sidecars, notes and project files; those are not shots). Hidden
 * files and folders are skipped. Whether a file really is an image or a video is decided later
 * from its bytes, so a corrupt or mislabelled file is reported, not skipped.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { CliError } from '../cli-error.js';

export const MEDIA_EXTENSIONS: ReadonlySet<string> = new Set([
  // stills
  'jpg',
  'jpeg',
  'png',
  'webp',
  'gif',
  'tif',
  'tiff',
  'avif',
  // clips
  'mp4',
  'm4v',
  'mov',
  'mkv',
  'webm',
  'avi',
  'ts',
  'mts',
  'm2ts',
  'mpg',
  'mpeg',
  'flv',
  'ogv',
]);

export function hasMediaExtension(path: string): boolean {
  return MEDIA_EXTENSIONS.has(extname(path).slice(1).toLowerCase());
}

/** A file to analyze and the key `--shard` hashes (see collectMediaFileEntries). */
export interface MediaFileEntry {
  readonly path: string;
  readonly shardKey: string;
}

async function walk(folder: string, found: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new CliError(
      `cannot read folder ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  entries.sort((first, second) => (first.name < second.name ? -1 : first.name > second.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await walk(path, found);
    else if (entry.isFile() && hasMediaExtension(entry.name)) found.push(path);
  }
}

/** Absolute paths, in argument order (folders sorted by name), each once. */
export async function collectMediaFiles(paths: readonly string[]): Promise<string[]> {
  return (await collectMediaFileEntries(paths)).map((entry) => entry.path);
}

/**
 * The files with their shard keys: a file's path relative to the folder named on the command line
 * (POSIX separators), or its base name when it was named itself. Not the absolute path, so the
 * same footage mounted at /data in one pod and at ~/footage on a laptop splits the same way.
 */
export async function collectMediaFileEntries(paths: readonly string[]): Promise<MediaFileEntry[]> {
  const entries = new Map<string, MediaFileEntry>();
  for (const given of paths) {
    const path = resolve(given);
    let kind;
    try {
      kind = await stat(path);
    } catch (error) {
      throw new CliError(
        `${given}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`,
        2,
      );
    }
    const found: string[] = [];
    if (kind.isDirectory()) await walk(path, found);
    else found.push(path);
    for (const file of found) {
      if (entries.has(file)) continue;
      const shardKey = kind.isDirectory() ? relative(path, file).split(sep).join('/') : basename(file);
      entries.set(file, { path: file, shardKey });
    }
  }
  return [...entries.values()];
}
