// From chat messages to a prompt the scheduler can run: media preprocessed and encoded (through
// the vision cache), the chat template rendered with one pad token per vision token, and M-RoPE
// positions computed for the whole prompt.
import type { ChatTokenizer } from '../tokenizer/chat-tokenizer.js';
import type { ChatMessage as TemplateMessage, ContentPart as TemplatePart } from '../tokenizer/chat-message.js';
import { computeRopeIndex } from '../qwen2-5-vl/rope-index.js';
import type { ModelConfig } from '../../model-format/model-config.js';
import type { ChatMessage, MediaPart } from './engine-api.js';
import type { EncodedMedia, VisionCache } from './vision-cache.js';
import { concatenateFloat32 } from '../../util/concatenate.js';

/** An encoded media item and where its vision pad tokens sit in the prompt. */
export interface PreparedMedia extends EncodedMedia {
  /** First pad token of the item in the prompt, and how many it has. */
  tokenStart: number;
  tokenCount: number;
}

export interface PreparedPrompt {
  tokenIds: Int32Array;
  /** int64 [3, tokens]. */
  positionIds: BigInt64Array;
  ropeDelta: number;
  media: PreparedMedia[];
}

export interface PromptPreparationContext {
  config: ModelConfig;
  tokenizer: ChatTokenizer;
  visionCache: VisionCache;
  signal: AbortSignal | undefined;
}

function mediaParts(messages: readonly ChatMessage[]): MediaPart[] {
  return messages.flatMap((message) =>
    typeof message.content === 'string'
      ? []
      : message.content.filter((part): part is MediaPart => part.type !== 'text'),
  );
}

function templateMessages(messages: readonly ChatMessage[]): TemplateMessage[] {
  return messages.map((message) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part): TemplatePart =>
            part.type === 'text' ? { type: 'text', text: part.text } : { type: part.type },
          ),
  }));
}

type MediaGrid = Pick<EncodedMedia, 'kind' | 'gridThw'>;

/** Long message text is tokenized in slices with yields (issue 17: it froze the event loop). */
async function renderTokens(
  messages: readonly ChatMessage[],
  media: readonly MediaGrid[],
  tokenizer: ChatTokenizer,
  addGenerationPrompt: boolean,
): Promise<Int32Array> {
  const grid = (item: MediaGrid) => ({ t: item.gridThw[0], h: item.gridThw[1], w: item.gridThw[2] });
  const rendered = await tokenizer.renderPromptYielding(templateMessages(messages), {
    imageGrids: media.filter((item) => item.kind === 'image').map(grid),
    videoGrids: media.filter((item) => item.kind === 'video').map(grid),
    addGenerationPrompt,
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
  for (const part of mediaParts(messages)) grids.push(await context.visionCache.grid(part, context.signal));
  return renderTokens(messages, grids, context.tokenizer, addGenerationPrompt);
}

export async function preparePrompt(
  messages: readonly ChatMessage[],
  context: PromptPreparationContext,
): Promise<PreparedPrompt> {
  const encoded = [];
  for (const part of mediaParts(messages)) encoded.push(await context.visionCache.encode(part, context.signal));
  const tokenIds = await renderTokens(messages, encoded, context.tokenizer, true);
  const { tokens, vision } = context.config;
  const videos = encoded.filter((item) => item.kind === 'video');
  const hasVision = encoded.length > 0;
  const rope = computeRopeIndex(
    {
      inputIds: [tokenIds],
      ...(hasVision
        ? {
            imageGrids: encoded.filter((item) => item.kind === 'image').map((item) => item.gridThw),
            videoGrids: videos.map((item) => item.gridThw),
            secondPerGridTs: videos.map((item) => item.secondPerGridTs ?? 1),
          }
        : {}),
    },
    { spatialMergeSize: vision.spatialMergeSize, tokensPerSecond: vision.tokensPerSecond, tokenIds: tokens },
  );
  // Pad runs appear in prompt order, one run per media item.
  const media: PreparedMedia[] = [];
  let position = 0;
  for (const item of encoded) {
    const pad = item.kind === 'image' ? tokens.imageTokenId : tokens.videoTokenId;
    while (position < tokenIds.length && tokenIds[position] !== pad) position += 1;
    const start = position;
    while (position < tokenIds.length && tokenIds[position] === pad) position += 1;
    media.push({ ...item, tokenStart: start, tokenCount: position - start });
  }
  return { tokenIds, positionIds: rope.positionIds, ropeDelta: rope.ropeDeltas[0]!, media };
}

/** The content hash of the media item covering a prompt position ('' for text tokens). */
export function mediaHashAt(prompt: PreparedPrompt): (position: number) => string {
  return (position) =>
    prompt.media.find((item) => position >= item.tokenStart && position < item.tokenStart + item.tokenCount)?.key ?? '';
}

/** Feature rows for the vision pads in prompt positions [start, start + length). */
export function featuresForRange(
  prompt: PreparedPrompt,
  start: number,
  length: number,
  hidden: number,
): Float32Array | undefined {
  const parts: Float32Array[] = [];
  for (const item of prompt.media) {
    const from = Math.max(start, item.tokenStart);
    const to = Math.min(start + length, item.tokenStart + item.tokenCount);
    if (from >= to) continue;
    parts.push(item.features.subarray((from - item.tokenStart) * hidden, (to - item.tokenStart) * hidden));
  }
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0]!.slice();
  return concatenateFloat32(parts);
}
