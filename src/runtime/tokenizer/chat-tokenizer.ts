// The tokenizer and chat template of one model folder: prompts in, token ids out (with vision
// placeholders expanded), and token ids back to text. Built on transformers.js, constructed from
// already-read files so no code path can reach the network.
import { PreTrainedTokenizer, type Message } from '@huggingface/transformers';
import type { GridThw } from '../../media/patchify.js';
import {
  PromptError,
  TokenizerLoadError,
  type ChatMessage,
  type MediaKindPart,
  type ToolDefinition,
} from './chat-message.js';
import { byteLevelTokenToBytes } from './byte-level-alphabet.js';
import { decodeTokens, type DetokenizerOptions, type TokenTextSource } from './incremental-detokenizer.js';
import { OFF_THREAD_TOKENIZE_CHARACTERS, OffThreadEncoder, type TokenizerFileTexts } from './off-thread-encoder.js';
import { plainTextTokenizer } from './plain-text-tokenizer.js';
import { joinPieces, withSentinels } from './prompt-template.js';
import { AddedTokenSplitter, piecesToUnits, type AddedTokenSpec } from './prompt-units.js';
import { TextOutputStream, type TextOutputOptions } from './text-output-stream.js';

export interface ChatTokenizerFiles {
  /** Parsed tokenizer.json. */
  tokenizerJson: Record<string, unknown>;
  /** Parsed tokenizer_config.json. */
  tokenizerConfig: Record<string, unknown>;
  /** The Jinja chat template to render conversations with. */
  chatTemplate: string;
  /**
   * The text tokenizer.json and tokenizer_config.json were parsed from: with it, long unbroken runs
   * of prompt text are encoded by a worker thread with the same BPE (off-thread-encoder.ts);
   * without it they are encoded in place.
   */
  texts?: TokenizerFileTexts;
}

export interface ChatTokenizerOptions {
  /**
   * The template for conversations with tools, tool calls or tool results, when the model's own
   * template renders none (the model family's tool format); without it such conversations are refused.
   */
  toolChatTemplate?: string;
  /** Vision patches merged into one language token per side (Qwen2.5-VL `spatial_merge_size`, 2). */
  spatialMergeSize?: number;
  /** Told when the off-thread encoder's worker fails (it is started again, a few times). */
  onWorkerFailure?: (error: Error) => void;
}

export interface RenderPromptOptions {
  /** Patch grid of each image part, in the order the parts appear in the conversation. */
  imageGrids?: readonly GridThw[];
  /** Patch grid of each video part, in order. */
  videoGrids?: readonly GridThw[];
  /** End with the assistant turn opener so the model answers. Default true. */
  addGenerationPrompt?: boolean;
  /** Functions offered to the model. */
  tools?: readonly ToolDefinition[];
}

export interface RenderedPrompt {
  tokenIds: number[];
  /** The rendered prompt with a single pad per media item (as `apply_chat_template(tokenize=False)`). */
  text: string;
}

const DEFAULT_SPATIAL_MERGE_SIZE = 2;
/** Characters tokenized between two yields to the event loop (a few milliseconds of BPE). */
export const TOKENIZE_SLICE_CHARACTERS = 4096;

/**
 * Cuts `text` into slices of about `size` characters at places where Qwen2's pre-tokenizer splits
 * anyway, so tokenizing the slices one by one gives the ids of the whole: just before a space
 * that sits between two letters (the letter run before it ends there, and the space opens the
 * next word's pre-token " word" in both cases). A text with no such place stays one slice.
 */
export function* pretokenizerSlices(text: string, size: number): Generator<string> {
  const boundary = /(?<=\p{L}) (?=\p{L})/gu;
  let start = 0;
  while (text.length - start > size) {
    boundary.lastIndex = start + size;
    const match = boundary.exec(text);
    if (match === null) break;
    yield text.slice(start, match.index);
    start = match.index;
  }
  yield text.slice(start);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readAddedTokens(tokenizerJson: Record<string, unknown>): Array<AddedTokenSpec & { special: boolean }> {
  const entries = tokenizerJson.added_tokens;
  if (!Array.isArray(entries)) throw new TokenizerLoadError('tokenizer.json: added_tokens must be a list');
  return entries.map((entry: unknown, index) => {
    if (!isRecord(entry) || typeof entry.id !== 'number' || typeof entry.content !== 'string') {
      throw new TokenizerLoadError(`tokenizer.json: added_tokens[${index}] needs a numeric id and a string content`);
    }
    return {
      id: entry.id,
      content: entry.content,
      lstrip: entry.lstrip === true,
      rstrip: entry.rstrip === true,
      special: entry.special === true,
    };
  });
}

function readVocabulary(tokenizerJson: Record<string, unknown>): Record<string, unknown> {
  const model = tokenizerJson.model;
  if (!isRecord(model) || !isRecord(model.vocab))
    throw new TokenizerLoadError('tokenizer.json: model.vocab must be an object');
  return model.vocab;
}

export class ChatTokenizer implements TokenTextSource {
  /** One past the largest id the tokenizer knows (the model's logits may be wider: padded rows). */
  readonly vocabularySize: number;
  readonly eosTokenId: number;
  readonly padTokenId: number | undefined;
  readonly imagePadTokenId: number;
  readonly videoPadTokenId: number;
  readonly visionStartTokenId: number;
  readonly visionEndTokenId: number;
  readonly chatTemplate: string;
  private readonly spatialMergeSize: number;
  private readonly toolChatTemplate: string | undefined;
  /** Renders templates and knows every added token. */
  private readonly templateTokenizer: PreTrainedTokenizer;
  /** The same BPE with no added tokens at all: caller text can only ever become ordinary tokens. */
  private readonly textTokenizer: PreTrainedTokenizer;
  private readonly splitter: AddedTokenSplitter;
  private readonly addedById: ReadonlyMap<number, AddedTokenSpec & { special: boolean }>;
  private readonly specialIds: ReadonlySet<number>;
  private readonly tokenStrings: ReadonlyArray<string | undefined>;
  private readonly bytesCache: Array<Uint8Array | undefined>;
  private readonly offThread: OffThreadEncoder | undefined;

  constructor(files: ChatTokenizerFiles, options: ChatTokenizerOptions = {}) {
    const { tokenizerJson, tokenizerConfig, chatTemplate } = files;
    const added = readAddedTokens(tokenizerJson);
    this.addedById = new Map(added.map((token) => [token.id, token]));
    this.specialIds = new Set(added.filter((token) => token.special).map((token) => token.id));
    this.splitter = new AddedTokenSplitter(added);
    this.chatTemplate = chatTemplate;
    this.spatialMergeSize = options.spatialMergeSize ?? DEFAULT_SPATIAL_MERGE_SIZE;
    this.toolChatTemplate = options.toolChatTemplate;
    this.offThread = files.texts === undefined ? undefined : new OffThreadEncoder(files.texts, options.onWorkerFailure);
    if (!Number.isInteger(this.spatialMergeSize) || this.spatialMergeSize < 1) {
      throw new TokenizerLoadError(`spatial merge size must be a positive integer, found ${this.spatialMergeSize}`);
    }

    const strings: Array<string | undefined> = [];
    for (const [token, id] of Object.entries(readVocabulary(tokenizerJson))) {
      if (typeof id === 'number' && Number.isInteger(id) && id >= 0) strings[id] = token;
    }
    for (const token of added) strings[token.id] = undefined;
    this.vocabularySize = Math.max(strings.length, ...added.map((token) => token.id + 1));
    this.tokenStrings = strings;
    this.bytesCache = new Array<Uint8Array | undefined>(this.vocabularySize);

    try {
      this.templateTokenizer = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig);
      this.textTokenizer = plainTextTokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new TokenizerLoadError(`tokenizer.json could not be loaded: ${(error as Error).message}`);
    }

    const idOf = (content: string): number => {
      const token = this.splitter.get(content);
      if (token === undefined)
        throw new TokenizerLoadError(`tokenizer.json has no ${content} token; is this a Qwen2.5-VL tokenizer?`);
      return token.id;
    };
    this.imagePadTokenId = idOf('<|image_pad|>');
    this.videoPadTokenId = idOf('<|video_pad|>');
    this.visionStartTokenId = idOf('<|vision_start|>');
    this.visionEndTokenId = idOf('<|vision_end|>');
    const eosToken = this.templateTokenizer.eos_token;
    if (typeof eosToken !== 'string') throw new TokenizerLoadError('tokenizer_config.json has no eos_token');
    this.eosTokenId = idOf(eosToken);
    const padToken = this.templateTokenizer.pad_token;
    this.padTokenId = typeof padToken === 'string' ? this.splitter.get(padToken)?.id : undefined;
  }

  /**
   * Ordinary text -> ids. Text that looks like a control token ("<|im_end|>") is tokenised as the
   * characters it is made of; no output id is ever an added token.
   */
  encodeText(text: string): number[] {
    if (text.length === 0) return [];
    return this.checkedIds(this.textTokenizer.encode(text, { add_special_tokens: false }));
  }

  /** Fail closed: a vocabulary that lists a control token as an ordinary BPE entry would break encodeText's guarantee. */
  private checkedIds(ids: number[]): number[] {
    for (const id of ids)
      if (this.specialIds.has(id)) throw new Error(`tokenizer produced control token ${id} from plain text`);
    return ids;
  }

  /** Stops the off-thread encoder's worker, if one was started. */
  async close(): Promise<void> {
    await this.offThread?.close();
  }

  /**
   * Renders a conversation with the chat template and tokenizes it. Template text is parsed for
   * control tokens; message text never is. Each image (video) part becomes
   * `<|vision_start|>` + t*h*w/merge² pads + `<|vision_end|>`, using the grids in order.
   */
  renderPrompt(messages: readonly ChatMessage<MediaKindPart>[], options: RenderPromptOptions = {}): RenderedPrompt {
    const render = this.startRender(messages, options);
    for (const text of render.texts) render.accept(this.encodeText(text));
    return render.finish();
  }

  /**
   * renderPrompt for long prompts, without holding the event loop: message text is tokenized in
   * pieces of about TOKENIZE_SLICE_CHARACTERS cut where the pre-tokenizer cuts anyway (same ids),
   * yielding to other work between pieces (issue 17: a 3 MB prompt froze /health for 23 s).
   */
  async renderPromptYielding(
    messages: readonly ChatMessage<MediaKindPart>[],
    options: RenderPromptOptions = {},
  ): Promise<RenderedPrompt> {
    const render = this.startRender(messages, options);
    for (const text of render.texts) render.accept(await this.encodeTextYielding(text));
    return render.finish();
  }

  /**
   * encodeText in slices with a yield between them (identical ids; see renderPromptYielding). A
   * slice longer than OFF_THREAD_TOKENIZE_CHARACTERS (a run the pre-token cuts cannot split) is
   * encoded by the off-thread worker when there is one, else in place.
   */
  async encodeTextYielding(text: string): Promise<number[]> {
    if (text.length <= TOKENIZE_SLICE_CHARACTERS) return this.encodeText(text);
    const ids: number[] = [];
    for (const slice of pretokenizerSlices(text, TOKENIZE_SLICE_CHARACTERS)) {
      for (const id of await this.encodeSlice(slice)) ids.push(id);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return ids;
  }

  private async encodeSlice(slice: string): Promise<number[]> {
    if (this.offThread === undefined || slice.length <= OFF_THREAD_TOKENIZE_CHARACTERS) return this.encodeText(slice);
    let ids: number[];
    try {
      ids = await this.offThread.encode(slice);
    } catch {
      // The worker could not run (or was closed): the same ids, in place.
      return this.encodeText(slice);
    }
    return this.checkedIds(ids);
  }

  /** The template rendered and split into units; text units are handed out to be tokenized in order. */
  private startRender(messages: readonly ChatMessage<MediaKindPart>[], options: RenderPromptOptions) {
    const imageCounts = this.padCounts(options.imageGrids ?? [], 'image');
    const videoCounts = this.padCounts(options.videoGrids ?? [], 'video');
    const tools = options.tools !== undefined && options.tools.length > 0 ? options.tools : undefined;
    const conversation = withSentinels(messages, tools);
    const usesTools =
      tools !== undefined || messages.some((message) => message.role === 'tool' || message.toolCalls !== undefined);
    if (usesTools && this.toolChatTemplate === undefined)
      throw new PromptError("this model's chat template renders no tools, tool calls or tool messages");
    const rendered = this.templateTokenizer.apply_chat_template(conversation.messages as Message[], {
      chat_template: usesTools ? this.toolChatTemplate! : this.chatTemplate,
      ...(conversation.tools === undefined ? {} : { tools: conversation.tools as never }),
      add_generation_prompt: options.addGenerationPrompt ?? true,
      tokenize: false,
    });
    const pieces = conversation.split(rendered);
    const units = [...piecesToUnits(pieces, this.splitter, this.addedById)];
    const tokenIds: number[] = [];
    let imageIndex = 0;
    let videoIndex = 0;
    let next = 0;
    /** Emits the control units up to the next text unit. */
    const controls = (): void => {
      for (; next < units.length; next++) {
        const unit = units[next]!;
        if (unit.kind === 'text') return;
        if (unit.id === this.imagePadTokenId) pushRepeated(tokenIds, unit.id, imageCounts[imageIndex++]);
        else if (unit.id === this.videoPadTokenId) pushRepeated(tokenIds, unit.id, videoCounts[videoIndex++]);
        else tokenIds.push(unit.id);
      }
    };
    const texts = function* (): Generator<string> {
      controls();
      while (next < units.length) {
        const unit = units[next++]!;
        if (unit.kind === 'text') yield unit.text;
        controls();
      }
    };
    return {
      texts: texts(),
      accept: (ids: readonly number[]): void => {
        for (const id of ids) tokenIds.push(id);
      },
      finish: (): RenderedPrompt => {
        if (imageIndex !== imageCounts.length || videoIndex !== videoCounts.length) {
          throw new PromptError(
            `the conversation has ${imageIndex} image and ${videoIndex} video parts, but ${imageCounts.length} image and ${videoCounts.length} video grids were given`,
          );
        }
        return { tokenIds, text: joinPieces(pieces) };
      },
    };
  }

  /** Ids -> text, skipping control tokens by default; ids past the vocabulary are ignored. */
  decode(tokenIds: Iterable<number>, options: DetokenizerOptions = {}): string {
    return decodeTokens(this, tokenIds, options);
  }

  /** A streaming decoder for one generated sequence, with stop strings. */
  createOutputStream(options: TextOutputOptions = {}): TextOutputStream {
    return new TextOutputStream(this, options);
  }

  tokenBytes(tokenId: number): Uint8Array | undefined {
    const cached = this.bytesCache[tokenId];
    if (cached !== undefined) return cached;
    const token = this.tokenStrings[tokenId];
    if (token === undefined) return undefined;
    const bytes = byteLevelTokenToBytes(token) ?? new TextEncoder().encode(token);
    this.bytesCache[tokenId] = bytes;
    return bytes;
  }

  /**
   * Every token's string by id as tokenizer.json stores it (byte-level BPE forms such as "Ġthe";
   * added tokens as their text; "" for unused ids): what grammar engines build their vocabulary from.
   */
  encodedVocabulary(): string[] {
    const vocabulary = Array.from({ length: this.vocabularySize }, (_, id) => this.tokenStrings[id] ?? '');
    for (const [id, token] of this.addedById) vocabulary[id] = token.content;
    return vocabulary;
  }

  addedTokenText(tokenId: number): string | undefined {
    return this.addedById.get(tokenId)?.content;
  }

  isSpecialToken(tokenId: number): boolean {
    return this.specialIds.has(tokenId);
  }

  /** The id of an added token by its text (e.g. "<|im_end|>"), if the tokenizer has it. */
  addedTokenId(content: string): number | undefined {
    return this.splitter.get(content)?.id;
  }

  private padCounts(grids: readonly GridThw[], kind: 'image' | 'video'): number[] {
    const merge = this.spatialMergeSize;
    return grids.map((grid, index) => {
      const [t, h, w] = grid;
      const valid =
        [t, h, w].every((value) => Number.isInteger(value) && value > 0) && h % merge === 0 && w % merge === 0;
      if (!valid) {
        throw new PromptError(
          `${kind} grid ${index} (${t}x${h}x${w}) must be positive integers with h and w multiples of ${merge}`,
        );
      }
      return (t * h * w) / (merge * merge);
    });
  }
}

function pushRepeated(target: number[], value: number, count: number | undefined): void {
  // More pads than grids: reported by the count check after the loop.
  if (count === undefined) return;
  for (let index = 0; index < count; index++) target.push(value);
}
