// From chat messages to a prompt the scheduler can run: media preprocessed and encoded (through
// the vision cache, into features the runner keeps), the chat template rendered with one pad token
// per vision token, and the model family's layout of the whole prompt (positions and the like).
import type { ChatTokenizer } from '../tokenizer/chat-tokenizer.js';
import type { ModelFamily } from '../model-family.js';
import type { PromptMediaSpan, RunnerPrompt } from '../runner/model-runner.js';
import type { ChatMessage, MediaItem, TokenizeInput, ToolDefinition } from './engine-api.js';
import { markMediaPart } from './engine-errors.js';
import type { EncodedMedia, MediaLease, VisionCache } from './vision-cache.js';

export interface PreparedPrompt {
  tokenIds: Int32Array;
  /** The prompt's media in order, each with the span of its pad tokens. */
  media: (EncodedMedia & PromptMediaSpan)[];
  /** What the runner runs; handed over once, with the request's first step. */
  runnerPrompt: RunnerPrompt;
  /** Ends the leases on the prompt's media once the runner holds the prompt (idempotent). */
  releaseMedia(): void;
}

export interface PromptPreparationContext {
  family: ModelFamily;
  tokenizer: ChatTokenizer;
  visionCache: VisionCache;
  signal: AbortSignal | undefined;
  /** Functions offered to the model. */
  tools?: readonly ToolDefinition[];
}

function mediaItems(messages: readonly ChatMessage[]): MediaItem[] {
  return messages.flatMap((message) =>
    typeof message.content === 'string'
      ? []
      : message.content.filter((part): part is MediaItem => part.type !== 'text'),
  );
}

type MediaGrid = Pick<EncodedMedia, 'kind' | 'gridThw'>;

/** Long message text is tokenized in slices with yields (issue 17: it froze the event loop). */
async function renderTokens(
  messages: readonly ChatMessage[],
  media: readonly MediaGrid[],
  tokenizer: ChatTokenizer,
  addGenerationPrompt: boolean,
  tools: readonly ToolDefinition[] | undefined,
): Promise<Int32Array> {
  const rendered = await tokenizer.renderPromptYielding(messages, {
    imageGrids: media.filter((item) => item.kind === 'image').map((item) => item.gridThw),
    videoGrids: media.filter((item) => item.kind === 'video').map((item) => item.gridThw),
    addGenerationPrompt,
    ...(tools === undefined ? {} : { tools }),
  });
  return Int32Array.from(rendered.tokenIds);
}

/**
 * The prompt's token ids alone (/tokenize): media contribute their pad tokens, counted from the
 * grid preprocessing gives, so the vision encoder never runs.
 */
export async function promptTokenIds(
  messages: readonly ChatMessage[],
  context: PromptPreparationContext,
  addGenerationPrompt: boolean,
): Promise<Int32Array> {
  const grids: MediaGrid[] = [];
  for (const [index, part] of mediaItems(messages).entries()) {
    try {
      grids.push(await context.visionCache.grid(part, context.signal));
    } catch (error) {
      throw markMediaPart(error, index);
    }
  }
  return renderTokens(messages, grids, context.tokenizer, addGenerationPrompt, context.tools);
}

/** The messages /tokenize counts: a bare text is one user message. */
export function tokenizedMessages(input: TokenizeInput): ChatMessage[] {
  return input.text === undefined ? (input.messages ?? []) : [{ role: 'user', content: input.text }];
}

/** /tokenize: a text's token ids, or a conversation's (media counted, never encoded). */
export async function tokenizeInput(input: TokenizeInput, context: PromptPreparationContext): Promise<number[]> {
  input.signal?.throwIfAborted();
  if (input.text !== undefined) return context.tokenizer.encodeTextYielding(input.text);
  const tokens = await promptTokenIds(input.messages ?? [], context, input.addGenerationPrompt ?? true);
  input.signal?.throwIfAborted();
  return Array.from(tokens);
}

/**
 * Encodes the media and renders the prompt. `layout` receives the token count (to size limits
 * such as the KV capacity) and returns the family's layout limits.
 */
export async function preparePrompt(
  messages: readonly ChatMessage[],
  context: PromptPreparationContext,
  limitsFor: (promptLength: number) => { kvCapacity: number },
): Promise<PreparedPrompt> {
  const leases: MediaLease[] = [];
  const releaseMedia = () => {
    for (const lease of leases.splice(0)) lease.release();
  };
  try {
    for (const [index, part] of mediaItems(messages).entries()) {
      try {
        leases.push(await context.visionCache.encode(part, context.signal));
      } catch (error) {
        throw markMediaPart(error, index);
      }
    }
    const encoded = leases.map((lease) => lease.media);
    const tokenIds = await renderTokens(messages, encoded, context.tokenizer, true, context.tools);
    const runnerPrompt = context.family.layoutPrompt(tokenIds, encoded, limitsFor(tokenIds.length));
    const media = encoded.map((item, index) => ({ ...item, ...runnerPrompt.media[index]! }));
    return { tokenIds, media, runnerPrompt, releaseMedia };
  } catch (error) {
    releaseMedia();
    throw error;
  }
}

/** The content hash of the media item covering a prompt position ('' for text tokens). */
export function mediaHashAt(prompt: Pick<PreparedPrompt, 'media'>): (position: number) => string {
  return (position) =>
    prompt.media.find((item) => position >= item.tokenStart && position < item.tokenStart + item.tokenCount)
      ?.contentHash ?? '';
}
