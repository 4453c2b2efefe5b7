// Request messages (OpenAI's JSON) -> the engine's ChatMessage list. Media parts may sit anywhere in
// any message; each URL is handed to the MediaResolver, all of them concurrently, and the first
// failure aborts the rest and becomes the response (with `param` naming the part).
import type { Static } from '@sinclair/typebox';
import type { ChatMessage, ContentPart, MediaOptions, MediaSource, ToolCall } from '../runtime/engine/engine-api.js';
import { mediaPartIndexOf } from '../runtime/engine/engine-errors.js';
import { ApiError, withParam } from './errors.js';
import type { MediaKind, MediaResolver } from './media-resolver.js';
import type { RequestMessage as RequestMessageSchema } from './routes/chat-completions/schema.js';

type RequestMessage = Static<typeof RequestMessageSchema>;

export interface MediaSettings {
  resolver: MediaResolver | undefined;
  maxItems: number;
  /** From mm_processor_kwargs; fps applies to videos only. */
  options: MediaOptions;
}

export interface ResolvedMessages {
  messages: ChatMessage[];
  /** The request field of each media item, in the engine's order (`messages[0].content[1].image_url`). */
  mediaParams: readonly string[];
  /** Frees spooled media once the engine is done with the request; later calls do nothing more. */
  release(): Promise<void>;
}

interface MediaReference {
  kind: MediaKind;
  url: string;
  param: string;
}

function mediaReferences(messages: readonly RequestMessage[]): MediaReference[] {
  const references: MediaReference[] = [];
  messages.forEach((message, messageIndex) => {
    if (typeof message.content === 'string' || message.content === undefined || message.content === null) return;
    message.content.forEach((part, partIndex) => {
      const param = `messages[${messageIndex}].content[${partIndex}]`;
      if (part.type === 'image_url') {
        const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
        references.push({ kind: 'image', url, param: `${param}.image_url` });
      } else if (part.type === 'video_url') {
        const url = typeof part.video_url === 'string' ? part.video_url : part.video_url.url;
        references.push({ kind: 'video', url, param: `${param}.video_url` });
      }
    });
  });
  return references;
}

async function releaseAll(
  resolver: MediaResolver | undefined,
  sources: readonly MediaSource[],
  onError: (error: unknown) => void,
): Promise<void> {
  if (resolver?.release === undefined) return;
  const release = resolver.release.bind(resolver);
  const results = await Promise.allSettled(sources.map((source) => release(source)));
  for (const result of results) if (result.status === 'rejected') onError(result.reason);
}

async function resolveAll(
  references: readonly MediaReference[],
  media: MediaSettings,
  signal: AbortSignal,
  onError: (error: unknown) => void,
): Promise<MediaSource[]> {
  const resolver = media.resolver;
  if (resolver === undefined)
    throw new ApiError('unsupported_feature', {
      values: { feature: 'Image and video input on this server' },
      param: references[0]?.param ?? null,
    });
  const controller = new AbortController();
  const forwardAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', forwardAbort, { once: true });
  let firstError: ApiError | undefined;
  try {
    const settled = await Promise.allSettled(
      references.map((reference) =>
        resolver.resolve(reference.url, reference.kind, controller.signal).catch((error: unknown) => {
          firstError ??= withParam(error, reference.param);
          controller.abort();
          throw error;
        }),
      ),
    );
    const sources = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (firstError === undefined && sources.length === references.length) return sources;
    await releaseAll(resolver, sources, onError);
    if (signal.aborted) throw new ApiError('client_closed_request');
    throw firstError ?? new ApiError('internal_error');
  } finally {
    signal.removeEventListener('abort', forwardAbort);
  }
}

function mediaOptions(kind: MediaKind, options: MediaOptions): MediaOptions | undefined {
  const { fps, ...pixels } = options;
  const selected: MediaOptions = kind === 'video' && fps !== undefined ? { ...pixels, fps } : pixels;
  return Object.keys(selected).length === 0 ? undefined : selected;
}

/** An assistant message's tool calls, in the engine's form; tool_calls on other roles are refused. */
function toolCalls(message: RequestMessage, index: number): ToolCall[] | undefined {
  if (message.tool_calls === undefined || message.tool_calls.length === 0) return undefined;
  if (message.role !== 'assistant')
    throw new ApiError('invalid_request', {
      message: `'messages[${index}].tool_calls' is only allowed on assistant messages.`,
      param: `messages[${index}].tool_calls`,
    });
  return message.tool_calls.map((call) => ({ name: call.function.name, arguments: call.function.arguments }));
}

/** Resolves every media URL (concurrently) and builds the engine's messages; throws ApiError. */
export async function toChatMessages(
  messages: readonly RequestMessage[],
  media: MediaSettings,
  signal: AbortSignal,
  onReleaseError: (error: unknown) => void,
): Promise<ResolvedMessages> {
  const references = mediaReferences(messages);
  if (references.length > media.maxItems) {
    throw new ApiError('too_many_media_items', {
      values: { limit: media.maxItems, count: references.length },
      param: 'messages',
    });
  }
  const sources = references.length === 0 ? [] : await resolveAll(references, media, signal, onReleaseError);
  let next = 0;
  const converted = messages.map((message, index): ChatMessage => {
    const role = message.role === 'developer' ? 'system' : message.role;
    const calls = toolCalls(message, index);
    if (message.content === undefined || message.content === null) {
      if (calls === undefined)
        throw new ApiError('invalid_request', {
          message: `'messages[${index}].content' is required (only assistant messages with tool_calls may omit it).`,
          param: `messages[${index}].content`,
        });
      return { role, content: '', toolCalls: calls };
    }
    if (typeof message.content === 'string')
      return { role, content: message.content, ...(calls === undefined ? {} : { toolCalls: calls }) };
    const content = message.content.map((part): ContentPart => {
      if (part.type === 'text') return { type: 'text', text: part.text };
      const type = part.type === 'image_url' ? 'image' : 'video';
      const source = sources[next++] as MediaSource;
      const options = mediaOptions(type, media.options);
      return options === undefined ? { type, source } : { type, source, options };
    });
    return { role, content, ...(calls === undefined ? {} : { toolCalls: calls }) };
  });
  let released: Promise<void> | undefined;
  return {
    messages: converted,
    mediaParams: references.map((reference) => reference.param),
    release: () => (released ??= releaseAll(media.resolver, sources, onReleaseError)),
  };
}

/** An engine error about one media item, naming that item's request field (client errors only). */
export function withMediaParam(error: unknown, resolved: Pick<ResolvedMessages, 'mediaParams'>): unknown {
  const index = mediaPartIndexOf(error);
  const param = index === undefined ? undefined : resolved.mediaParams[index];
  return param === undefined ? error : withParam(error, param);
}
