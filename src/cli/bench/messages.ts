/**
 * The chat messages of one ShotBench item, as the official evaluation builds them
 * (ShotBench `evaluation/shotvl/evaluate.py`): a system message for the mode, then one user
 * message whose content is the media in dataset order followed by the question text. In
 * OpenAI's format images become `image_url` parts and videos `video_url` parts (the extension
 * vLLM and this server accept), both as base64 data URLs; with a frame source, a video becomes
 * its sampled frames as consecutive `image_url` parts instead.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildQuestionPrompt } from '../../shot/question-prompt.js';
import { systemPromptFor } from '../../shot/system-prompts.js';
import type { ShotPromptMode } from '../../shot/system-prompts.js';
import type { BenchItem, BenchMedia } from './dataset.js';
import { dataUrl, mediaTypeOf } from './media-type.js';
import { ShotvlError } from '../../util/shotvl-error.js';

/** OpenAI chat-completion wire messages (what `bench run` posts), not the engine's ChatMessage. */
export type WireContentPart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'image_url'; readonly image_url: { readonly url: string } }
  | { readonly type: 'video_url'; readonly video_url: { readonly url: string } };

export type WireChatMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: readonly WireContentPart[] };

/** An encoded still image, e.g. one sampled video frame. */
export interface EncodedImage {
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/** Samples a video file into frames (for endpoints that take images only). */
export type VideoFrameSampler = (videoPath: string, signal?: AbortSignal) => Promise<readonly EncodedImage[]>;

export interface MessageOptions {
  /** Folder the dataset's relative media paths are resolved against. */
  readonly mediaDirectory: string;
  readonly mode: ShotPromptMode;
  /** When set, videos are sent as sampled frames rather than as `video_url`. */
  readonly videoFrames?: VideoFrameSampler;
  readonly signal?: AbortSignal;
}

export class MediaReadError extends ShotvlError<'media_unreadable'> {
  readonly path: string;

  constructor(message: string, options: { path: string; cause?: unknown }) {
    super('media_unreadable', message, options);
    this.path = options.path;
  }
}

function mediaReadError(path: string, cause: unknown): MediaReadError {
  // System errors read best by their code (ENOENT); media errors by their message.
  const system = cause as NodeJS.ErrnoException;
  const detail = system.syscall !== undefined && system.code !== undefined ? system.code : system.message;
  return new MediaReadError(`cannot read media ${path}: ${detail}`, { path, cause });
}

async function mediaParts(media: BenchMedia, options: MessageOptions): Promise<WireContentPart[]> {
  // The official script resolves `root_dir / rel_path`; an absolute path in the data wins, as there.
  const path = resolve(options.mediaDirectory, media.path);
  if (media.kind === 'video' && options.videoFrames !== undefined) {
    let frames: readonly EncodedImage[];
    try {
      frames = await options.videoFrames(path, options.signal);
    } catch (error) {
      throw mediaReadError(path, error);
    }
    return frames.map((frame) => ({ type: 'image_url', image_url: { url: dataUrl(frame.mediaType, frame.bytes) } }));
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path, { signal: options.signal });
  } catch (error) {
    throw mediaReadError(path, error);
  }
  const url = dataUrl(mediaTypeOf(bytes, path, media.kind), bytes);
  return media.kind === 'image'
    ? [{ type: 'image_url', image_url: { url } }]
    : [{ type: 'video_url', video_url: { url } }];
}

export async function buildBenchMessages(item: BenchItem, options: MessageOptions): Promise<WireChatMessage[]> {
  const media: WireContentPart[] = [];
  for (const entry of item.media) media.push(...(await mediaParts(entry, options)));
  return [
    { role: 'system', content: systemPromptFor(options.mode) },
    { role: 'user', content: [...media, { type: 'text', text: buildQuestionPrompt(item.question, item.options) }] },
  ];
}
