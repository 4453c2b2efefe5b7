/**
 * Turning a model's free-text answer into an option letter, exactly as ShotBench's official scorer
 * does (`evaluation/calculate_scores.py`, which adapts VLMEvalKit's `can_infer`):
 *
 * 1. take the text inside `<answer>...</answer>` (case-insensitive, across lines), or the whole
 *    output when there is no tag;
 * 2. the option rule (`can_infer_option`): replace each of `.()[],:;!*#{}` with a space, split on
 *    whitespace; exactly one option letter among the tokens decides; no letter but a `Z` token
 *    means "no answer" (`Z`);
 * 3. the text rule (`can_infer_text`): exactly one option text (lower-cased) occurring in the
 *    lower-cased answer decides.
 *
 * ShotBench's variant is looser than current VLMEvalKit: it has no "letter must not be among the
 * last five tokens" check and no answer-length limit on the text rule. Those are what produced the
 * published `pred_letter`s, so they are what we reproduce. Anything still undecided went to a
 * GPT-4o matcher (see judge-prompt.ts) and then to a random letter.
 */
import { PYTHON_SPACE, pythonSplit, pythonStrip } from './python-text.js';
import type { ShotOptions } from './question-prompt.js';

/** The letter the official scorer uses for "the model gave no answer". */
export const NO_ANSWER_LETTER = 'Z';

/** Which rule decided: a letter token, a `Z` token (no answer), or a unique option text. */
export type AnswerRule = 'option' | 'no-answer' | 'text';

export type AnswerExtraction =
  | { readonly decided: true; readonly letter: string; readonly rule: AnswerRule; readonly answer: string }
  | { readonly decided: false; readonly letter: null; readonly rule: null; readonly answer: string };

const ANSWER_TAG = new RegExp(`<answer>${PYTHON_SPACE}*([\\s\\S]*?)${PYTHON_SPACE}*</answer>`, 'i');
const OPTION_RULE_PUNCTUATION = /[.()[\],:;!*#{}]/g;

/** Step 1: the contents of the first `<answer>` tag, or the whole output; stripped either way. */
export function extractAnswerTag(output: string): string {
  const match = ANSWER_TAG.exec(output);
  return pythonStrip(match?.[1] ?? output);
}

/**
 * The options the scorer may choose from: the official `build_choices` drops options whose text is
 * empty (or NaN in its spreadsheet), so they can never be matched.
 */
export function answerableOptions(options: ShotOptions): ShotOptions {
  return Object.fromEntries(Object.entries(options).filter(([, text]) => text.length > 0));
}

/** Step 2 on an already tag-extracted answer: a letter, `Z`, or null when undecided. */
export function inferOptionLetter(answer: string, options: ShotOptions): string | null {
  const tokens = new Set(pythonSplit(answer.replace(OPTION_RULE_PUNCTUATION, ' ')));
  const letters = Object.keys(answerableOptions(options)).filter((letter) => tokens.has(letter));
  if (letters.length === 1) return letters[0] ?? null;
  if (letters.length === 0 && tokens.has(NO_ANSWER_LETTER)) return NO_ANSWER_LETTER;
  return null;
}

/** Step 3 on an already tag-extracted answer: the one option whose text it contains, or null. */
export function inferOptionText(answer: string, options: ShotOptions): string | null {
  const lowered = answer.toLowerCase();
  const letters = Object.entries(answerableOptions(options))
    .filter(([, text]) => lowered.includes(text.toLowerCase()))
    .map(([letter]) => letter);
  return letters.length === 1 ? (letters[0] ?? null) : null;
}

/** All three steps on a raw model output. */
export function extractAnswerLetter(output: string, options: ShotOptions): AnswerExtraction {
  const answer = extractAnswerTag(output);
  const optionLetter = inferOptionLetter(answer, options);
  if (optionLetter !== null) {
    return {
      decided: true,
      letter: optionLetter,
      rule: optionLetter === NO_ANSWER_LETTER ? 'no-answer' : 'option',
      answer,
    };
  }
  const textLetter = inferOptionText(answer, options);
  if (textLetter !== null) return { decided: true, letter: textLetter, rule: 'text', answer };
  return { decided: false, letter: null, rule: null, answer };
}
