/**
 * The user text of a ShotBench question, as the official evaluation builds it (ShotBench
 * `evaluation/shotvl/evaluate.py`, `build_prompt`, itself modified from VLMEvalKit's image MCQ
 * prompt): the question, then "Options:" and one "K. text" line per option in the order the
 * dataset lists them, then a fixed instruction. No trailing newline.
 */

/**
 * Option letter -> option text, in the dataset's order. ShotBench always has A-D; the type allows
 * any letters so that `/analyze-shot` can ask over a whole vocabulary.
 */
export type ShotOptions = Readonly<Record<string, string>>;

export const ANSWER_INSTRUCTION = 'Please select the most likely answer from the options above.';

/** Letters VLMEvalKit-style multiple choice uses, in order. */
export const OPTION_LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function buildQuestionPrompt(question: string, options: ShotOptions): string {
  // Object.entries keeps insertion order for non-integer keys, as Python's dict does for the
  // JSON object the official script loads.
  const optionLines = Object.entries(options).map(([letter, text]) => `${letter}. ${text}`);
  return `Question: ${question}\nOptions:\n${optionLines.join('\n')}\n${ANSWER_INSTRUCTION}`;
}

/**
 * Lettered options for a list of labels: ["Wide", "Medium"] -> {A: "Wide", B: "Medium"}.
 * `Z` is never used as an option letter: the official scorer reserves it for "no answer".
 */
export function lettersForLabels(labels: readonly string[]): ShotOptions {
  const letters = OPTION_LETTERS.replace('Z', '');
  if (labels.length > letters.length) {
    throw new RangeError(`at most ${letters.length} options can be lettered, got ${labels.length}`);
  }
  const options: Record<string, string> = {};
  labels.forEach((label, position) => {
    options[letters.charAt(position)] = label;
  });
  return options;
}
