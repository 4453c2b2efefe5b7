/**
 * Reasoning mode: ShotVL writes `<think>...</think><answer>X</answer>`. The answer is read with the
 * official scorer's rules (answer-extraction.ts); the probability of each option comes from the
 * token that spelled the answer letter: its log-probability and those of its top alternatives that
 * differ from it only in the letter (" B" competes with " A" and " C", ">B" with ">A").
 */
import { NO_ANSWER_LETTER, extractAnswerLetter } from '../answer-extraction.js';
import type { AnswerExtraction } from '../answer-extraction.js';
import { PYTHON_SPACE } from '../python-text.js';
import type { ShotOptions } from '../question-prompt.js';

export interface ReasoningAnswer {
  /** The option letter the output names, or null when no rule decided or it said "no answer" (Z). */
  readonly letter: string | null;
  readonly extraction: AnswerExtraction;
  /** The text inside <think>...</think>, else everything before <answer>, else the whole output; trimmed. */
  readonly reasoning: string;
}

const THINK_TAG = /<think>([\s\S]*?)(?:<\/think>|$)/i;
const ANSWER_OPEN = /<answer>/i;
const ANSWER_TAG = new RegExp(`<answer>${PYTHON_SPACE}*([\\s\\S]*?)${PYTHON_SPACE}*</answer>`, 'id');
/** The option rule's punctuation (answer-extraction.ts): these separate a letter from its neighbours. */
const OPTION_PUNCTUATION = '.()[],:;!*#{}';
const PYTHON_SPACE_CHARACTER = new RegExp(`^${PYTHON_SPACE}$`);

export function reasoningText(output: string): string {
  const think = THINK_TAG.exec(output);
  if (think !== null) return (think[1] ?? '').trim();
  const answer = ANSWER_OPEN.exec(output);
  return (answer === null ? output : output.slice(0, answer.index)).trim();
}

export function parseReasoningOutput(output: string, options: ShotOptions): ReasoningAnswer {
  const extraction = extractAnswerLetter(output, options);
  const letter = extraction.decided && extraction.letter !== NO_ANSWER_LETTER ? extraction.letter : null;
  return { letter, extraction, reasoning: reasoningText(output) };
}

/** One generated token as the engine reports it with logprobs. */
export interface GeneratedTokenLogprobs {
  readonly token: string;
  readonly logprob: number;
  readonly top: readonly { readonly token: string; readonly logprob: number }[];
}

function isSeparator(character: string | undefined): boolean {
  return character === undefined || OPTION_PUNCTUATION.includes(character) || PYTHON_SPACE_CHARACTER.test(character);
}

/**
 * Where the answer letter stands in `text`: the first occurrence inside the answer tag (or anywhere,
 * without a tag) that the option rule would read as a token of its own, i.e. bounded by
 * whitespace, the rule's punctuation or the ends of the answer.
 */
export function answerLetterOffset(text: string, letter: string): number | undefined {
  const tag = ANSWER_TAG.exec(text);
  const [start, end] = tag?.indices?.[1] ?? [0, text.length];
  for (
    let offset = text.indexOf(letter, start);
    offset >= 0 && offset < end;
    offset = text.indexOf(letter, offset + 1)
  ) {
    const before = offset === start ? undefined : text[offset - 1];
    const after = offset + letter.length === end ? undefined : text[offset + letter.length];
    if (isSeparator(before) && isSeparator(after)) return offset;
  }
  return undefined;
}

/**
 * The probability of each option letter at the answer, renormalised over the options, from the
 * generated tokens' logprobs; undefined when the letter cannot be found in the tokens (for example an
 * answer decided by the option text rather than a letter). Letters whose token variant is not among
 * the top alternatives get 0.
 */
export function answerLetterProbabilities(
  tokens: readonly GeneratedTokenLogprobs[],
  letter: string,
  options: ShotOptions,
): Record<string, number> | undefined {
  const text = tokens.map((token) => token.token).join('');
  const offset = answerLetterOffset(text, letter);
  if (offset === undefined) return undefined;
  let tokenStart = 0;
  for (const token of tokens) {
    const tokenEnd = tokenStart + token.token.length;
    if (offset >= tokenStart && offset < tokenEnd) {
      // The letter must lie wholly inside this token for its variants to be comparable.
      if (offset + letter.length > tokenEnd) return undefined;
      const prefix = token.token.slice(0, offset - tokenStart);
      const suffix = token.token.slice(offset - tokenStart + letter.length);
      return letterVariantProbabilities(token, prefix, suffix, options);
    }
    tokenStart = tokenEnd;
  }
  return undefined;
}

function letterVariantProbabilities(
  token: GeneratedTokenLogprobs,
  prefix: string,
  suffix: string,
  options: ShotOptions,
): Record<string, number> {
  const variantLetter = new Map(Object.keys(options).map((candidate) => [`${prefix}${candidate}${suffix}`, candidate]));
  const probabilities: Record<string, number> = Object.fromEntries(
    Object.keys(options).map((candidate) => [candidate, 0]),
  );
  const seen = new Set<string>();
  for (const candidate of [{ token: token.token, logprob: token.logprob }, ...token.top]) {
    // The sampled token is usually among the top alternatives too: count every string once.
    if (seen.has(candidate.token)) continue;
    seen.add(candidate.token);
    const candidateLetter = variantLetter.get(candidate.token);
    if (candidateLetter !== undefined && Number.isFinite(candidate.logprob))
      probabilities[candidateLetter] = Math.exp(candidate.logprob);
  }
  const total = Object.values(probabilities).reduce((sum, value) => sum + value, 0);
  if (total > 0)
    for (const key of Object.keys(probabilities)) probabilities[key] = (probabilities[key] as number) / total;
  return probabilities;
}
