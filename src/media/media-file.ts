// The checks every media file gets before it is read: that it exists as a regular file, is not empty
// and is within the byte limit, and for a video that its first bytes are a container we hand to
// ffmpeg (video-container.ts). Each failure is a MediaError with its own code: a missing file is
// `media_not_found`, never a raw ENOENT from the file system.
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { readFileHead } from '../util/read-file-head.js';
import { CorruptMediaError, MediaNotFoundError, MediaTooLargeError, UnsupportedFormatError } from './media-errors.js';
import { sniffVideoContainer, VIDEO_SNIFF_BYTES, type VideoContainer } from './video-container.js';

/** How the messages about its size name the file. */
export type MediaFileNoun = 'The video' | 'The media file';

/**
 * The size of the media file at `path`. MediaNotFoundError when there is no regular file there,
 * CorruptMediaError when it is empty, MediaTooLargeError when it has more than `maxBytes`.
 */
export async function mediaFileSize(path: string, noun: MediaFileNoun, maxBytes = Infinity): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new MediaNotFoundError('The media file does not exist.', { cause: error });
    throw error;
  }
  if (!info.isFile()) throw new MediaNotFoundError('The media path is not a regular file.');
  if (info.size === 0) throw new CorruptMediaError(`${noun} is empty (0 bytes).`);
  if (info.size > maxBytes)
    throw new MediaTooLargeError(`${noun} is ${info.size} bytes; the limit is ${maxBytes} bytes.`);
  return info.size;
}

export interface VideoInput {
  /** What ffmpeg and ffprobe are given: `file:` keeps them from reading a protocol out of the path. */
  readonly input: string;
  readonly container: VideoContainer;
}

/** The video file at `path` checked as mediaFileSize does, then sniffed: UnsupportedFormatError for other data. */
export async function openVideoInput(path: string, maxBytes = Infinity): Promise<VideoInput> {
  const absolutePath = resolvePath(path);
  await mediaFileSize(absolutePath, 'The video', maxBytes);
  const container = sniffVideoContainer(await readFileHead(absolutePath, VIDEO_SNIFF_BYTES));
  if (container === undefined)
    throw new UnsupportedFormatError(
      'The data is not a supported video container (MP4/MOV, MKV/WebM, AVI, MPEG-TS/PS, FLV or Ogg).',
    );
  return { input: `file:${absolutePath}`, container };
}
