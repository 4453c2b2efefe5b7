// file: URLs, like vLLM's `--allowed-local-media-path`: off unless a folder is configured, and then
// only for regular files inside that folder. Threat model: an API user reading server files
// (`file:///etc/passwd`, `file:///media/../etc/passwd`, or a symlink inside the folder pointing out of
// it). The check compares real paths — every symlink and `..` resolved by the file system — of the
// folder and the file, and the path handed on is the real one.
//
// Residual risk, accepted: someone who can write inside the allowed folder can swap a checked file
// for a symlink between this check and the decoder opening the path. The folder is the operator's.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MediaSource } from '../../runtime/engine/engine-api.js';
import { MediaFetchError } from './media-fetch-errors.js';

/** True when `candidate` is strictly inside `folder` (both absolute and normalised). */
export function isInsideFolder(folder: string, candidate: string): boolean {
  const path = relative(folder, candidate);
  return path !== '' && path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path);
}

function refused(): MediaFetchError {
  return new MediaFetchError('local_path_refused', 'The file URL is outside the allowed local media path.');
}

function urlToPath(url: URL): string {
  if (url.hostname !== '' && url.hostname !== 'localhost') {
    throw new MediaFetchError('local_path_refused', 'File URLs must name a local file (file:///path).');
  }
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch (error) {
    throw new MediaFetchError('invalid_media_url', 'The file URL is not a valid local path.', { cause: error });
  }
  if (path.includes('\0')) throw new MediaFetchError('invalid_media_url', 'The file URL is not a valid local path.');
  return resolve(path);
}

/**
 * Resolves a `file:` URL to `{kind: 'file', path}` (the real path) when it names a regular file of at
 * most `maxBytes` inside `allowedFolder`. With no allowed folder every file URL is refused.
 */
export async function resolveLocalFileUrl(
  url: URL,
  allowedFolder: string | undefined,
  maxBytes: number,
): Promise<MediaSource> {
  if (allowedFolder === undefined) {
    throw new MediaFetchError(
      'local_path_refused',
      'File URLs are disabled on this server (no allowed local media path is configured).',
    );
  }
  const lexicalPath = urlToPath(url);
  const lexicalFolder = resolve(allowedFolder);
  let realFolder: string;
  try {
    realFolder = await realpath(lexicalFolder);
  } catch (error) {
    throw new MediaFetchError('local_path_refused', 'The allowed local media path is not available on this server.', {
      cause: error,
    });
  }
  // A lexical pre-check, so that paths plainly outside are refused without touching the file system
  // (no probing whether files exist elsewhere). The real-path check below is the one that counts.
  if (!isInsideFolder(lexicalFolder, lexicalPath) && !isInsideFolder(realFolder, lexicalPath)) throw refused();

  let realPath: string;
  try {
    realPath = await realpath(lexicalPath);
  } catch (error) {
    throw new MediaFetchError('media_fetch_failed', 'The local media file was not found or cannot be read.', {
      cause: error,
    });
  }
  if (!isInsideFolder(realFolder, realPath)) throw refused();

  let info;
  try {
    info = await stat(realPath);
  } catch (error) {
    throw new MediaFetchError('media_fetch_failed', 'The local media file was not found or cannot be read.', {
      cause: error,
    });
  }
  if (!info.isFile()) throw new MediaFetchError('media_fetch_failed', 'The file URL does not name a regular file.');
  if (info.size > maxBytes) {
    throw new MediaFetchError('media_too_large', `The local media file is larger than the limit of ${maxBytes} bytes.`);
  }
  return { kind: 'file', path: realPath };
}
