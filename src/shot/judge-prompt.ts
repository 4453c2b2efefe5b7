/**
 * The official LLM fallback for answers no rule can decide (ShotBench
 * `evaluation/calculate_scores.py`, `build_prompt` and `eval_row`; the template is VLMEvalKit's
 * matching prompt). The scorer sends this prompt as a single user message to GPT-4o at
 * temperature 0, parses each reply with the same rules as a model output, tries up to three
 * times, and only then falls back to a random letter.
 */
import { answerableOptions, extractAnswerLetter } from './answer-extraction.js';
import type { AnswerExtraction } from './answer-extraction.js';
import type { ShotOptions } from './question-prompt.js';

/** The judge model the official scorer defaults to. */
export const DEFAULT_JUDGE_MODEL = 'gpt-4o-2024-08-06';

/** How many judge replies the official scorer asks for before giving up on an item. */
export const JUDGE_ATTEMPTS = 3;

const JUDGE_INSTRUCTIONS =
  'You are an AI assistant who will help me to match an answer with several options of a single-choice question. ' +
  'You are provided with a question, several options, and an answer, and you need to find which option is most ' +
  "similar to the answer. If the answer says things like refuse to answer, I'm sorry cannot help, etc., output Z. " +
  'If the meaning of all options are significantly different from the answer, or the answer does not select any ' +
  'option, output Z. You should output one of the choices, A, B, C, D (if they are valid options), or Z.\n';

const JUDGE_EXAMPLES =
  'Example 1:\nQuestion: Which point is closer to the camera?\nSelect from the following choices.\n' +
  'Options: A. Point A\nB. Point B\n(Z) Failed\n' +
  'Answer: Point B, where the child is sitting, is closer to the camera.\nYour output: (B)\n' +
  'Example 2:\nQuestion: Which point is closer to the camera?\nSelect from the following choices.\n' +
  "Options: (A) Point A\n(B) Point B\n(Z) Failed\nAnswer: I'm sorry, but I can't assist with that request.\n" +
  'Your output: (Z)\n' +
  'Example 3:\nQuestion: Which point is corresponding to the reference point?\nSelect from the following choices.\n' +
  'Options: (A) Point A\n(B) Point B\n(Z) Failed\nAnswer: ...\nYour output: (Z)\n';

/**
 * The judge prompt for one item. `prediction` is the raw model output (the official scorer does
 * not strip the answer tag here). The template appends "?" after the question even though
 * ShotBench's questions already end with one; kept, because that is the prompt GPT-4o saw.
 */
export function buildJudgePrompt(question: string, options: ShotOptions, prediction: string): string {
  const optionLines = Object.entries(answerableOptions(options))
    .map(([letter, text]) => `${letter}. ${text}`)
    .join('\n');
  return (
    JUDGE_INSTRUCTIONS +
    JUDGE_EXAMPLES +
    `Example 4:\nQuestion: ${question}?\nOptions: ${optionLines}\n(Z) Failed\nAnswer: ${prediction}\nYour output: `
  );
}

/** Reads a judge reply with the same rules as a model output, as the official scorer does. */
export function parseJudgeReply(reply: string, options: ShotOptions): AnswerExtraction {
  return extractAnswerLetter(reply, options);
}
