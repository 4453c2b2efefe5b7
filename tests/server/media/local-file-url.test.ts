import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInsideFolder, resolveLocalFileUrl } from '../../../src/server/media/local-file-url.js';
import { MediaFetchError } from '../../../src/server/media/media-fetch-errors.js';

let base: string;
let allowed: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'shotvl-local-media-test-')));
  allowed = join(base, 'allowed');
  await mkdir(join(allowed, 'clips'), { recursive: true });
  await writeFile(join(allowed, 'clips', 'shot.jpg'), Buffer.alloc(100, 1));
  await writeFile(join(allowed, 'big.mp4'), Buffer.alloc(2000, 1));
  await writeFile(join(base, 'secret.txt'), 'secret');
  await mkdir(join(base, 'allowed-sibling'));
  await writeFile(join(base, 'allowed-sibling', 'x.jpg'), 'x');
  // Symlinks inside the allowed folder: one escaping it, one staying inside.
  await symlink(join(base, 'secret.txt'), join(allowed, 'escape.jpg'));
  await symlink(base, join(allowed, 'up'));
  await symlink(join(allowed, 'clips', 'shot.jpg'), join(allowed, 'inside-link.jpg'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function reasonOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MediaFetchError);
    return (error as MediaFetchError).reason;
  }
  return undefined;
}

const fileUrl = (path: string): URL => new URL(`file://${path}`);

describe('resolveLocalFileUrl', () => {
  it('refuses every file URL when no folder is allowed (the default)', async () => {
    expect(
      await reasonOf(resolveLocalFileUrl(pathToFileURL(join(allowed, 'clips', 'shot.jpg')), undefined, 1000)),
    ).toBe('local_path_refused');
  });

  it('resolves a file inside the allowed folder to its real path', async () => {
    const source = await resolveLocalFileUrl(pathToFileURL(join(allowed, 'clips', 'shot.jpg')), allowed, 1000);
    expect(source).toEqual({ kind: 'file', path: join(allowed, 'clips', 'shot.jpg') });
  });

  it('follows a symlink that stays inside, handing on the real path', async () => {
    const source = await resolveLocalFileUrl(pathToFileURL(join(allowed, 'inside-link.jpg')), allowed, 1000);
    expect(source).toEqual({ kind: 'file', path: join(allowed, 'clips', 'shot.jpg') });
  });

  it('refuses a file outside the allowed folder', async () => {
    expect(await reasonOf(resolveLocalFileUrl(pathToFileURL(join(base, 'secret.txt')), allowed, 1000))).toBe(
      'local_path_refused',
    );
    expect(await reasonOf(resolveLocalFileUrl(fileUrl('/etc/passwd'), allowed, 1000))).toBe('local_path_refused');
  });

  it('refuses a sibling folder whose name starts with the allowed folder name', async () => {
    expect(
      await reasonOf(resolveLocalFileUrl(pathToFileURL(join(base, 'allowed-sibling', 'x.jpg')), allowed, 1000)),
    ).toBe('local_path_refused');
  });

  it('refuses .. escapes, plain and percent-encoded', async () => {
    expect(await reasonOf(resolveLocalFileUrl(fileUrl(`${allowed}/clips/../../secret.txt`), allowed, 1000))).toBe(
      'local_path_refused',
    );
    expect(await reasonOf(resolveLocalFileUrl(fileUrl(`${allowed}/%2e%2e/secret.txt`), allowed, 1000))).toBe(
      'local_path_refused',
    );
  });

  it('refuses symlink escapes (a file link and a folder link)', async () => {
    expect(await reasonOf(resolveLocalFileUrl(pathToFileURL(join(allowed, 'escape.jpg')), allowed, 1000))).toBe(
      'local_path_refused',
    );
    expect(await reasonOf(resolveLocalFileUrl(pathToFileURL(join(allowed, 'up', 'secret.txt')), allowed, 1000))).toBe(
      'local_path_refused',
    );
  });

  it('refuses the allowed folder itself, folders, and missing files', async () => {
    expect(await reasonOf(resolveLocalFileUrl(pathToFileURL(allowed), allowed, 1000))).toBe('local_path_refused');
    expect(await reasonOf(resolveLocalFileUrl(pathToFileURL(join(allowed, 'clips')), allowed, 1000))).toBe(
      'media_fetch_failed',
    );
    expect(await reasonOf(resolveLocalFileUrl(pathToFileURL(join(allowed, 'missing.jpg')), allowed, 1000))).toBe(
      'media_fetch_failed',
    );
  });

  it('refuses a remote host and an encoded slash', async () => {
    expect(
      await reasonOf(resolveLocalFileUrl(new URL(`file://fileserver${allowed}/clips/shot.jpg`), allowed, 1000)),
    ).toBe('local_path_refused');
    expect(await reasonOf(resolveLocalFileUrl(fileUrl(`${allowed}/clips%2fshot.jpg`), allowed, 1000))).toBe(
      'invalid_media_url',
    );
  });

  it('refuses a file larger than the byte limit', async () => {
    expect(await reasonOf(resolveLocalFileUrl(pathToFileURL(join(allowed, 'big.mp4')), allowed, 1000))).toBe(
      'media_too_large',
    );
  });

  it('keeps paths out of its messages', async () => {
    try {
      await resolveLocalFileUrl(pathToFileURL(join(allowed, 'escape.jpg')), allowed, 1000);
    } catch (error) {
      expect((error as Error).message).not.toContain(base);
    }
  });
});

describe('isInsideFolder', () => {
  it.each([
    ['/a/b', '/a/b/c', true],
    ['/a/b', '/a/b/c/d', true],
    ['/a/b', '/a/b', false],
    ['/a/b', '/a/bc', false],
    ['/a/b', '/a', false],
    ['/a/b', '/a/b/..c', true],
    ['/a/b', '/x', false],
  ])('%s contains %s: %s', (folder, candidate, expected) => {
    expect(isInsideFolder(folder, candidate)).toBe(expected);
  });
});
