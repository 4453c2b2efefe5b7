// Messages between MediaWorkerPool (main thread) and media-worker.ts (worker thread), and how errors
// cross the thread boundary. Structured cloning keeps only plain data: a MediaError arrives as its
// code and message and is rebuilt as the same subclass, so callers can keep using `instanceof`.
import { isMediaErrorCode, MediaError, mediaErrorFromCode, type MediaErrorCode } from './media-errors.js';
import type { MediaLimits } from './media-limits.js';
import type { MediaItem, PreprocessedMedia } from './preprocess-media.js';

export interface MediaWorkerData {
  ffmpegPath?: string;
  ffprobePath?: string;
}

export type PoolToWorkerMessage =
  | { type: 'run'; id: number; item: MediaItem; limits?: MediaLimits }
  /** Abort job `id`: its AbortSignal fires, which kills its ffmpeg processes. */
  | { type: 'cancel'; id: number };

export type WorkerToPoolMessage =
  | { type: 'spawn'; id: number; pid: number }
  /** `result.pixelValues.buffer` is transferred, not copied. */
  | { type: 'done'; id: number; result: PreprocessedMedia }
  | { type: 'failed'; id: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  /** Set for MediaError subclasses. */
  mediaCode?: MediaErrorCode;
  /** The cause's message, for logs (never shown to API users). */
  cause?: string;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof MediaError) {
    const cause =
      error.cause instanceof Error ? error.cause.message : error.cause === undefined ? undefined : String(error.cause);
    return { name: error.name, message: error.message, mediaCode: error.code, cause };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The MediaError subclass for media errors; otherwise an Error with the worker's name, message and stack. */
export function deserializeError(data: SerializedError): Error {
  const options = data.cause === undefined ? undefined : { cause: new Error(data.cause) };
  if (isMediaErrorCode(data.mediaCode)) return mediaErrorFromCode(data.mediaCode, data.message, options);
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}
