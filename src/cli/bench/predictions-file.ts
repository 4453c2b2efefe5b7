/**
 * The predictions file: JSON Lines, one object per answered item, appended as items finish (so
 * the order is completion order). It carries the question and options so that `score` can re-run
 * the extraction and the judge without the dataset. Official-style files (`prediction` instead of
 * `output`, no options) are read too, with the dataset supplying what they lack.
 */
import { readJsonLines } from '../jsonl-reader.js';
import { JsonlAppender } from '../jsonl-appender.js';
import type { AnswerRule } from '../../shot/answer-extraction.js';
import { isShotCategory } from '../../shot/dimensions.js';
import type { ShotCategory } from '../../shot/dimensions.js';
import type { ShotOptions } from '../../shot/question-prompt.js';
import type { ShotPromptMode } from '../../shot/system-prompts.js';
import { CliError } from '../cli-error.js';
import type { TokenUsage } from './chat-client.js';
import type { BenchItem } from './dataset.js';

export interface PredictionRecord {
  readonly index: number;
  readonly category: ShotCategory;
  readonly answer: string;
  /** The extracted letter (`Z` = no answer), null when no rule decided. */
  readonly letter: string | null;
  readonly rule: AnswerRule | null;
  readonly hit: boolean;
  /** The raw model output (message content). */
  readonly output: string;
  readonly reasoning?: string;
  readonly finish_reason?: string;
  readonly latency_ms: number;
  readonly attempts: number;
  readonly usage: TokenUsage | null;
  readonly model: string;
  readonly mode: ShotPromptMode;
  readonly question: string;
  readonly options: ShotOptions;
}

/** A line as read back: what scoring needs, before completing it from the dataset. */
export interface LoadedPrediction {
  readonly index: number;
  readonly output: string;
  readonly category?: string;
  readonly answer?: string;
  readonly question?: string;
  readonly options?: ShotOptions;
}

/** A prediction with everything scoring needs. */
export interface ScorablePrediction {
  readonly index: number;
  readonly category: ShotCategory;
  readonly answer: string;
  readonly question: string;
  readonly options: ShotOptions;
  readonly output: string;
}

function toLoaded(value: unknown): LoadedPrediction | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const index = record['index'];
  const output = record['output'] ?? record['prediction'];
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || typeof output !== 'string') return undefined;
  const options = record['options'];
  const text = (key: string): string | undefined =>
    typeof record[key] === 'string' ? (record[key] as string) : undefined;
  const category = text('category');
  const answer = text('answer');
  const question = text('question');
  return {
    index,
    output,
    ...(category === undefined ? {} : { category }),
    ...(answer === undefined ? {} : { answer }),
    ...(question === undefined ? {} : { question }),
    ...(typeof options === 'object' && options !== null && !Array.isArray(options)
      ? { options: options as ShotOptions }
      : {}),
  };
}

/**
 * Reads a predictions file. Later lines for the same index replace earlier ones (a re-run appends).
 * A truncated last line (an interrupted write) is ignored; any other bad line is an error.
 */
export async function readPredictions(file: string): Promise<LoadedPrediction[]> {
  const notPrediction = 'not a prediction line (needs "index" and "output")';
  const byIndex = new Map<number, LoadedPrediction>();
  for (const { value, number } of await readJsonLines(file, { name: `predictions ${file}`, notJson: notPrediction })) {
    const parsed = toLoaded(value);
    if (parsed === undefined) throw new CliError(`${file}:${number}: ${notPrediction}`);
    byIndex.set(parsed.index, parsed);
  }
  return [...byIndex.values()].sort((first, second) => first.index - second.index);
}

/** Fills what a line lacks from the dataset; the line's own fields win otherwise. */
export function completePredictions(
  predictions: readonly LoadedPrediction[],
  dataset: ReadonlyMap<number, BenchItem> | undefined,
  file: string,
): ScorablePrediction[] {
  return predictions.map((prediction) => {
    const item = dataset?.get(prediction.index);
    const category = prediction.category ?? item?.category;
    const answer = prediction.answer ?? item?.answer;
    const question = prediction.question ?? item?.question;
    const options = prediction.options ?? item?.options;
    if (category === undefined || answer === undefined || question === undefined || options === undefined) {
      const hint = dataset === undefined ? '; pass --data with the dataset' : ' and the dataset has no such index';
      throw new CliError(`${file}: index ${prediction.index} lacks its question or options${hint}`);
    }
    if (!isShotCategory(category))
      throw new CliError(`${file}: index ${prediction.index}: unknown category '${category}'`);
    return { index: prediction.index, category, answer, question, options, output: prediction.output };
  });
}

/** Appends prediction records one line each, in call order; repairs a partial last line left by a crash. */
export class PredictionWriter extends JsonlAppender<PredictionRecord> {}
