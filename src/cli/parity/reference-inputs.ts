// The fixed, deterministic inputs of `shotvl parity --reference`: one synthetic still (the test
// card), and prompts about it as the server renders them: a free-text question whose greedy
// continuation is followed, a text-only one, a ShotBench question (options A-D) and the seven
// questions /analyze-shot's fast mode asks about a still (constrained choice of an option letter).
// Everything here is format-independent and computed once, before any model format is loaded.
import { preprocessImage } from '../../media/image-preprocess.js';
import { testCard } from '../../media/test-card.js';
import type { GridThw } from '../../media/patchify.js';
import type { ModelConfig } from '../../model-format/model-config.js';
import { BLOCK_TOKENS } from '../../runtime/engine/prefix-cache.js';
import type { ChatMessage, MediaKindPart } from '../../runtime/tokenizer/chat-message.js';
import { loadTokenizer } from '../../runtime/tokenizer/load-tokenizer.js';
import type { ChatTokenizer } from '../../runtime/tokenizer/chat-tokenizer.js';
import { applicableDimensions } from '../../shot/analysis/analysis-dimensions.js';
import { analysisQuestion } from '../../shot/analysis/analysis-question.js';
import { buildQuestionPrompt, type ShotOptions } from '../../shot/question-prompt.js';
import { systemPromptFor } from '../../shot/system-prompts.js';
import { CliError } from '../cli-error.js';

/** The size of the test card, as bench/ measures vision on (smart_resize makes it 1288x728). */
export const DEFAULT_TEST_CARD_SIZE = { width: 1280, height: 720 } as const;

/** Greedy tokens of the reference whose next-token argmax every format is compared on. */
export const DEFAULT_CONTINUATION_STEPS = 16;

/** ShotBench test item 1 (tests/fixtures/shotbench): its question and options A-D. */
const SHOTBENCH_QUESTION = "What's the shot size of this shot?";
const SHOTBENCH_OPTIONS: ShotOptions = { A: 'Extreme Close Up', B: 'Medium Close Up', C: 'Close Up', D: 'Medium Wide' };

const DESCRIBE_TEXT = 'Describe this shot: its size, framing, camera angle and lighting.';
const TEXT_ONLY = 'Explain in two sentences what a dolly zoom is and why a director would use one.';

export interface ReferencePrompt {
  name: string;
  tokenIds: Int32Array;
  /** Whether the test card's pad tokens are in the prompt. */
  hasImage: boolean;
  /** Follow the greedy continuation (free-text prompts); choice prompts stop at the answer position. */
  continuation: boolean;
  /** Constrained choice: the option letters and their token ids (one token each, as /analyze-shot scores them). */
  choice?: { letters: string[]; tokenIds: number[] };
}

export interface ReferenceInputs {
  image: { width: number; height: number; pixelValues: Float32Array; gridThw: GridThw };
  /** Prompts in the order they run; the first image prompt leaves the shared prefix for the others. */
  prompts: ReferencePrompt[];
  /** Leading tokens every image prompt shares (system prompt and test card), in whole prefix-cache blocks. */
  sharedImagePrefix: number;
  steps: number;
}

interface PromptSpec {
  name: string;
  system: string;
  text: string;
  image: boolean;
  continuation: boolean;
  letters?: readonly string[];
}

function promptSpecs(): PromptSpec[] {
  const plain = systemPromptFor('plain');
  return [
    { name: 'describe the test card', system: plain, text: DESCRIBE_TEXT, image: true, continuation: true },
    { name: 'text only', system: plain, text: TEXT_ONLY, image: false, continuation: true },
    {
      name: 'ShotBench shot size (A-D)',
      system: plain,
      text: buildQuestionPrompt(SHOTBENCH_QUESTION, SHOTBENCH_OPTIONS),
      image: true,
      continuation: false,
      letters: Object.keys(SHOTBENCH_OPTIONS),
    },
    ...applicableDimensions('image').map((category) => {
      const question = analysisQuestion(category, 'fast');
      return {
        name: `analyze-shot ${category}`,
        system: question.systemPrompt,
        text: question.userText,
        image: true,
        continuation: false,
        letters: question.letters,
      };
    }),
  ];
}

/** The names `--case` selects from. */
export function referencePromptNames(): string[] {
  return promptSpecs().map((spec) => spec.name);
}

function letterTokenIds(tokenizer: ChatTokenizer, letters: readonly string[], prompt: string): number[] {
  const ids = letters.map((letter) => tokenizer.encodeText(letter));
  if (ids.some((tokens) => tokens.length !== 1) || new Set(ids.map((tokens) => tokens[0])).size !== ids.length)
    throw new CliError(`${prompt}: the option letters are not one distinct token each in this tokenizer`);
  return ids.map((tokens) => tokens[0]!);
}

function commonPrefixLength(rows: readonly Int32Array[]): number {
  if (rows.length === 0) return 0;
  let length = 0;
  while (rows.every((row) => length < row.length && row[length] === rows[0]![length])) length += 1;
  return length;
}

export async function buildReferenceInputs(
  modelDir: string,
  config: ModelConfig,
  options: { width: number; height: number; steps: number; cases?: readonly string[] },
): Promise<ReferenceInputs> {
  const tokenizer = await loadTokenizer(modelDir, { spatialMergeSize: config.vision.spatialMergeSize });
  const card = await preprocessImage(await testCard(options.width, options.height));
  const specs = promptSpecs().filter((spec) => options.cases === undefined || options.cases.includes(spec.name));
  const prompts = specs.map((spec): ReferencePrompt => {
    const messages: ChatMessage<MediaKindPart>[] = [
      { role: 'system', content: spec.system },
      { role: 'user', content: spec.image ? [{ type: 'image' }, { type: 'text', text: spec.text }] : spec.text },
    ];
    const rendered = tokenizer.renderPrompt(messages, { imageGrids: spec.image ? [card.gridThw] : [] });
    return {
      name: spec.name,
      tokenIds: Int32Array.from(rendered.tokenIds),
      hasImage: spec.image,
      continuation: spec.continuation,
      ...(spec.letters === undefined
        ? {}
        : { choice: { letters: [...spec.letters], tokenIds: letterTokenIds(tokenizer, spec.letters, spec.name) } }),
    };
  });
  // The engine's prefix cache reuses whole blocks, and at least one token of each prompt must run.
  const imageRows = prompts.filter((prompt) => prompt.hasImage).map((prompt) => prompt.tokenIds);
  const shortest = Math.min(...imageRows.map((row) => row.length));
  const shared = imageRows.length < 2 ? 0 : Math.min(commonPrefixLength(imageRows), shortest - 1);
  return {
    image: { width: options.width, height: options.height, pixelValues: card.pixelValues, gridThw: card.gridThw },
    prompts,
    sharedImagePrefix: Math.floor(shared / BLOCK_TOKENS) * BLOCK_TOKENS,
    steps: options.steps,
  };
}
