// The media layer's one entry point for the engine: a media item (image or video; a file, bytes in
// memory, or a list of encoded frames) -> the vision tower's inputs plus a content hash.
//
// Settings: what ShotBench evaluated ShotVL with (docs/ARCHITECTURE.md, "Media pipeline and its
// fidelity rules") are the defaults — images at native size within [4·28², 16384·28²] pixels,
// videos sampled at 12 fps with max_pixels 360·640. A request may only make an item cheaper:
// max_pixels and (for decoded videos) fps may be lowered, never raised; min_pixels may be set
// between the processor's floor (4·28²) and the effective max_pixels. For a video given as frames
// every frame is used, so its fps only states the rate the frames represent (it sets
// second_per_grid_ts) and may be any number in [MIN_VIDEO_FPS, MAX_VIDEO_FPS] (smart-resize.ts:
// outside it the M-RoPE positions overflow).
//
// contentHash = SHA-256 over the canonical JSON of the effective settings, then the media bytes (a file
// is streamed; frames are each prefixed by their length). Equal hash => equal pixel values, so the
// engine keys its vision cache on it; `mediaContentHash` computes it without decoding anything.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { preprocessImage } from './image-preprocess.js';
import type { GridThw } from './patchify.js';
import { InvalidMediaOptionsError, MediaAbortedError } from './media-errors.js';
import { mediaFileSize } from './media-file.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from './media-limits.js';
import {
  MAX_PIXELS,
  MAX_VIDEO_FPS,
  MIN_PIXELS,
  MIN_VIDEO_FPS,
  SHOTBENCH_VIDEO_FPS,
  SHOTBENCH_VIDEO_MAX_PIXELS,
  VIDEO_MIN_PIXELS,
} from './smart-resize.js';
import {
  preprocessVideoBytes,
  preprocessVideoFile,
  preprocessVideoFrames,
  type PreprocessedVideo,
  type VideoPreprocessContext,
} from './video-preprocess.js';

// The engine's API (src/runtime/engine/engine-api.ts) re-exports these as its media types: a media
// item is what the client sent, PreprocessedMedia what preprocessing made of it.
export type MediaSource =
  | { kind: 'file'; path: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  /** A video given as its frames, each an encoded image. */
  | { kind: 'frames'; frames: Uint8Array[] };

export interface MediaOptions {
  minPixels?: number;
  maxPixels?: number;
  /** Video sampling rate (frames per second), qwen-vl-utils semantics. */
  fps?: number;
  /** Videos: only these stream frames, [start, end) — one shot of a longer clip. */
  frameRange?: { start: number; end: number };
}

export interface MediaItem {
  type: 'image' | 'video';
  source: MediaSource;
  options?: MediaOptions;
}

export interface PreprocessMediaContext {
  limits?: MediaLimits;
  signal?: AbortSignal;
  /** ffmpeg/ffprobe executables; found on PATH by default. */
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Called with the pid of every ffmpeg/ffprobe process started (metrics, tests). */
  onProcessSpawn?: (pid: number) => void;
}

export interface PreprocessedMedia {
  kind: 'image' | 'video';
  /** float32 [gridT·gridH·gridW, 1176]; owns its whole ArrayBuffer (so it can be transferred). */
  pixelValues: Float32Array;
  gridThw: GridThw;
  /** Videos: temporal_patch_size / fps (the processor's second_per_grid_ts). */
  secondPerGridTs?: number;
  /** Decoded size, before resizing (after EXIF orientation / display rotation). */
  width: number;
  height: number;
  resizedWidth: number;
  resizedHeight: number;
  /** Videos: frames sampled. */
  frames?: number;
  durationSeconds?: number;
  /** Hex SHA-256 of the settings and the bytes (see the file comment). */
  contentHash: string;
}

/** The settings an item is processed with after defaults and validation; part of its hash. */
export interface EffectiveMediaSettings {
  /** Bumped whenever a change of this layer changes the pixel values of the same input. */
  pipeline: typeof PIPELINE_VERSION;
  type: 'image' | 'video';
  source: 'encoded' | 'frames';
  minPixels: number;
  maxPixels: number;
  fps?: number;
  frameRange?: { start: number; end: number };
}

const PIPELINE_VERSION = 'qwen-vl-utils-0.0.11/v1';

export const IMAGE_DEFAULTS = Object.freeze({ minPixels: MIN_PIXELS, maxPixels: MAX_PIXELS });
export const VIDEO_DEFAULTS = Object.freeze({
  minPixels: VIDEO_MIN_PIXELS,
  maxPixels: SHOTBENCH_VIDEO_MAX_PIXELS,
  fps: SHOTBENCH_VIDEO_FPS,
});

function checkPixels(name: string, value: unknown, low: number, high: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
    throw new InvalidMediaOptionsError(`${name} must be an integer between ${low} and ${high}; got ${String(value)}.`);
  }
}

/** Defaults plus the request's options, validated (throws InvalidMediaOptionsError). */
export function resolveMediaSettings(item: MediaItem): EffectiveMediaSettings {
  const options = item.options ?? {};
  const frames = item.source.kind === 'frames';
  if (item.type === 'image' && frames)
    throw new InvalidMediaOptionsError('An image cannot be given as a list of frames.');
  if (item.type === 'image' && options.fps !== undefined)
    throw new InvalidMediaOptionsError('fps applies to videos, not images.');
  const defaults = item.type === 'image' ? IMAGE_DEFAULTS : VIDEO_DEFAULTS;
  const maxPixels = options.maxPixels ?? defaults.maxPixels;
  checkPixels('max_pixels', maxPixels, MIN_PIXELS, defaults.maxPixels);
  // An explicit min_pixels must fit under max_pixels. The video default (128·28²) may exceed a lowered
  // max_pixels: qwen-vl-utils then lets max_pixels win, and so do we.
  if (options.minPixels !== undefined) checkPixels('min_pixels', options.minPixels, MIN_PIXELS, maxPixels);
  const minPixels = options.minPixels ?? defaults.minPixels;
  const settings: EffectiveMediaSettings = {
    pipeline: PIPELINE_VERSION,
    type: item.type,
    source: frames ? 'frames' : 'encoded',
    minPixels,
    maxPixels,
  };
  if (item.type === 'video') {
    const fps = options.fps ?? VIDEO_DEFAULTS.fps;
    if (typeof fps !== 'number' || !Number.isFinite(fps) || fps < MIN_VIDEO_FPS || fps > MAX_VIDEO_FPS)
      throw new InvalidMediaOptionsError(
        `fps must be a number between ${MIN_VIDEO_FPS} and ${MAX_VIDEO_FPS}; got ${String(fps)}.`,
      );
    if (!frames && fps > VIDEO_DEFAULTS.fps) {
      throw new InvalidMediaOptionsError(
        `fps may be at most ${VIDEO_DEFAULTS.fps} (the rate videos are sampled at by default); got ${fps}.`,
      );
    }
    settings.fps = fps;
    if (options.frameRange !== undefined) {
      if (frames) throw new InvalidMediaOptionsError('A frame range applies to video files, not to a list of frames.');
      settings.frameRange = { start: options.frameRange.start, end: options.frameRange.end };
    }
  } else if (options.frameRange !== undefined) {
    throw new InvalidMediaOptionsError('A frame range applies to videos, not images.');
  }
  return settings;
}

/** JSON with object keys sorted, so equal settings always hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function lengthPrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(length));
  return prefix;
}

function startHash(settings: EffectiveMediaSettings): Hash {
  const json = Buffer.from(canonicalJson(settings), 'utf8');
  return createHash('sha256').update(lengthPrefix(json.length)).update(json);
}

function fileSize(path: string, limits: MediaLimits): Promise<number> {
  return mediaFileSize(path, 'The media file', limits.maxInputBytes);
}

async function hashFile(hash: Hash, path: string, signal: AbortSignal | undefined): Promise<string> {
  try {
    for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  } catch (error) {
    if (signal?.aborted) throw new MediaAbortedError(undefined, { cause: error });
    throw error;
  }
  return hash.digest('hex');
}

function hashBytes(settings: EffectiveMediaSettings, source: Exclude<MediaSource, { kind: 'file' }>): string {
  const hash = startHash(settings);
  if (source.kind === 'bytes') return hash.update(source.bytes).digest('hex');
  for (const frame of source.frames) hash.update(lengthPrefix(frame.length)).update(frame);
  return hash.digest('hex');
}

/** The item's contentHash, without decoding it (for a cache look-up before preprocessing). */
export async function mediaContentHash(item: MediaItem, context: PreprocessMediaContext = {}): Promise<string> {
  const settings = resolveMediaSettings(item);
  if (item.source.kind !== 'file') return hashBytes(settings, item.source);
  await fileSize(item.source.path, context.limits ?? DEFAULT_MEDIA_LIMITS);
  return hashFile(startHash(settings), item.source.path, context.signal);
}

/** A Float32Array that is the whole of its ArrayBuffer (a view into a larger one is copied). */
function standalone(values: Float32Array): Float32Array {
  return values.byteOffset === 0 && values.byteLength === values.buffer.byteLength ? values : values.slice();
}

function fromVideo(video: PreprocessedVideo, contentHash: string): PreprocessedMedia {
  return {
    kind: 'video',
    pixelValues: standalone(video.pixelValues),
    gridThw: [video.gridThw[0], video.gridThw[1], video.gridThw[2]],
    secondPerGridTs: video.secondPerGridTs,
    width: video.width,
    height: video.height,
    resizedWidth: video.resizedWidth,
    resizedHeight: video.resizedHeight,
    frames: video.frameIndices.length,
    durationSeconds: video.durationSeconds,
    contentHash,
  };
}

async function preprocessImageItem(
  item: MediaItem,
  settings: EffectiveMediaSettings,
  context: PreprocessMediaContext,
): Promise<PreprocessedMedia> {
  const limits = context.limits ?? DEFAULT_MEDIA_LIMITS;
  let bytes: Uint8Array;
  if (item.source.kind === 'file') {
    await fileSize(item.source.path, limits);
    bytes = await readFile(item.source.path, { signal: context.signal }).catch((error: unknown) => {
      if (context.signal?.aborted) throw new MediaAbortedError(undefined, { cause: error });
      throw error;
    });
  } else if (item.source.kind === 'bytes') {
    bytes = item.source.bytes;
  } else {
    throw new InvalidMediaOptionsError('An image cannot be given as a list of frames.');
  }
  const contentHash = hashBytes(settings, { kind: 'bytes', bytes });
  const image = await preprocessImage(bytes, {
    limits,
    signal: context.signal,
    size: { minPixels: settings.minPixels, maxPixels: settings.maxPixels },
  });
  return {
    kind: 'image',
    pixelValues: standalone(image.pixelValues),
    gridThw: [image.gridThw[0], image.gridThw[1], image.gridThw[2]],
    width: image.width,
    height: image.height,
    resizedWidth: image.resizedWidth,
    resizedHeight: image.resizedHeight,
    contentHash,
  };
}

async function preprocessVideoItem(
  item: MediaItem,
  settings: EffectiveMediaSettings,
  context: PreprocessMediaContext,
): Promise<PreprocessedMedia> {
  const options = {
    fps: settings.fps,
    minPixels: settings.minPixels,
    maxPixels: settings.maxPixels,
    ...(settings.frameRange === undefined ? {} : { frameRange: settings.frameRange }),
  };
  const videoContext: VideoPreprocessContext = {
    limits: context.limits,
    signal: context.signal,
    ffmpegPath: context.ffmpegPath,
    ffprobePath: context.ffprobePath,
    onProcessSpawn: context.onProcessSpawn,
  };
  const source = item.source;
  if (source.kind === 'bytes')
    return fromVideo(await preprocessVideoBytes(source.bytes, options, videoContext), hashBytes(settings, source));
  if (source.kind === 'frames')
    return fromVideo(await preprocessVideoFrames(source.frames, options, videoContext), hashBytes(settings, source));
  // The file is hashed while ffmpeg reads it (both stream it; the OS cache serves the second reader).
  await fileSize(source.path, context.limits ?? DEFAULT_MEDIA_LIMITS);
  const stopHashing = new AbortController();
  const forwardAbort = () => stopHashing.abort();
  context.signal?.addEventListener('abort', forwardAbort, { once: true });
  const hashing = hashFile(startHash(settings), source.path, stopHashing.signal);
  hashing.catch(() => undefined);
  try {
    const video = await preprocessVideoFile(source.path, options, videoContext);
    return fromVideo(video, await hashing);
  } finally {
    stopHashing.abort(); // no-op once hashed; stops reading when preprocessing failed
    context.signal?.removeEventListener('abort', forwardAbort);
  }
}

/**
 * Preprocesses one media item exactly as the ShotBench reference did (within the options' budgets).
 * Throws MediaError subclasses for anything wrong with the item or its options, MediaAbortedError
 * when `signal` aborts (ffmpeg processes are killed), and FfmpegUnavailableError when ffmpeg is missing.
 */
export async function preprocessMedia(
  item: MediaItem,
  context: PreprocessMediaContext = {},
): Promise<PreprocessedMedia> {
  const settings = resolveMediaSettings(item);
  if (context.signal?.aborted) throw new MediaAbortedError(undefined, { cause: context.signal.reason });
  const result =
    item.type === 'image'
      ? await preprocessImageItem(item, settings, context)
      : await preprocessVideoItem(item, settings, context);
  if (context.signal?.aborted) throw new MediaAbortedError(undefined, { cause: context.signal.reason });
  return result;
}
