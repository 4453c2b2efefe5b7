// The checks before a media file is read: a path with no regular file behind it is media_not_found
// (never a raw ENOENT), an empty file corrupt_media, a large one media_too_large, other data
// unsupported_format; the messages name no path and no system error.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CorruptMediaError,
  MediaNotFoundError,
  MediaTooLargeError,
  UnsupportedFormatError,
} from '../../src/media/media-errors.js';
import { mediaFileSize, openVideoInput } from '../../src/media/media-file.js';
import { makeTestVideo } from '../helpers/test-video.js';

let folder = '';

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'shotvl-media-file-'));
  writeFileSync(join(folder, 'empty.mp4'), '');
  writeFileSync(join(folder, 'notes.txt'), 'not a video at all, just some words in a file');
  mkdirSync(join(folder, 'folder.mp4'));
  makeTestVideo(join(folder, 'clip.mp4'));
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('mediaFileSize', () => {
  it('refuses a path with no file, or with a file where a folder should be, as media_not_found', async () => {
    for (const path of [join(folder, 'missing.mp4'), join(folder, 'notes.txt', 'inside.mp4')]) {
      const error = await rejection(mediaFileSize(path, 'The video'));
      expect(error).toBeInstanceOf(MediaNotFoundError);
      expect((error as MediaNotFoundError).code).toBe('media_not_found');
      expect(error.message).toBe('The media file does not exist.');
      expect(error.message).not.toContain(folder);
      expect((error.cause as NodeJS.ErrnoException).code).toMatch(/^(ENOENT|ENOTDIR)$/);
    }
  });

  it('refuses a folder, an empty file and a file over the limit', async () => {
    const notFile = await rejection(mediaFileSize(join(folder, 'folder.mp4'), 'The video'));
    expect(notFile).toBeInstanceOf(MediaNotFoundError);
    expect(notFile.message).toBe('The media path is not a regular file.');
    await expect(mediaFileSize(join(folder, 'empty.mp4'), 'The video')).rejects.toThrow(
      new CorruptMediaError('The video is empty (0 bytes).'),
    );
    await expect(mediaFileSize(join(folder, 'notes.txt'), 'The media file', 10)).rejects.toThrow(
      new MediaTooLargeError('The media file is 45 bytes; the limit is 10 bytes.'),
    );
    expect(await mediaFileSize(join(folder, 'notes.txt'), 'The media file', 45)).toBe(45);
  });
});

describe('openVideoInput', () => {
  it('gives ffmpeg a file: input and the sniffed container', async () => {
    expect(await openVideoInput(join(folder, 'clip.mp4'))).toEqual({
      input: `file:${join(folder, 'clip.mp4')}`,
      container: 'mp4',
    });
  });

  it('refuses what is not there and what is not a video', async () => {
    await expect(openVideoInput(join(folder, 'missing.mp4'))).rejects.toBeInstanceOf(MediaNotFoundError);
    await expect(openVideoInput(join(folder, 'notes.txt'))).rejects.toBeInstanceOf(UnsupportedFormatError);
  });
});
