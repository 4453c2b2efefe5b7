/**
 * The question `/analyze-shot` asks for one dimension: ShotBench's question for the category, its
 * whole analysis vocabulary as lettered options (A, B, C, ... in vocabulary order), in the format of
 * the official evaluation (question-prompt.ts), under the system prompt of the mode.
 */
import { categoryQuestion } from '../dimensions.js';
import type { ShotCategory } from '../dimensions.js';
import { buildQuestionPrompt, lettersForLabels } from '../question-prompt.js';
import type { ShotOptions } from '../question-prompt.js';
import { systemPromptFor } from '../system-prompts.js';
import { analysisVocabulary } from './analysis-dimensions.js';

/** fast: constrained choice of the option letter; reasoning: ShotVL's <think>/<answer> generation. */
export const ANALYSIS_MODES = ['fast', 'reasoning'] as const;
export type AnalysisMode = (typeof ANALYSIS_MODES)[number];

export function isAnalysisMode(value: string): value is AnalysisMode {
  return (ANALYSIS_MODES as readonly string[]).includes(value);
}

export interface AnalysisQuestion {
  readonly category: ShotCategory;
  readonly question: string;
  /** Letter -> label, over the dimension's whole analysis vocabulary. */
  readonly options: ShotOptions;
  /** The option letters, in order: the constrained choice of fast mode. */
  readonly letters: readonly string[];
  readonly systemPrompt: string;
  /** The user text that follows the media. */
  readonly userText: string;
}

export function analysisQuestion(category: ShotCategory, mode: AnalysisMode): AnalysisQuestion {
  const question = categoryQuestion(category);
  const options = lettersForLabels(analysisVocabulary(category));
  return {
    category,
    question,
    options,
    letters: Object.keys(options),
    // fast mode is the official script without --reasoning: Qwen2.5-VL's default system prompt.
    systemPrompt: systemPromptFor(mode === 'reasoning' ? 'reasoning' : 'plain'),
    userText: buildQuestionPrompt(question, options),
  };
}
