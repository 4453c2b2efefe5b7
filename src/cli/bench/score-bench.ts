/**
 * `bench score` and `bench compare`: re-extract every answer from the raw outputs with the
 * official rules, optionally send the undecided ones to a judge model, and score.
 */
import { extractAnswerLetter } from '../../shot/answer-extraction.js';
import type { AnswerExtraction } from '../../shot/answer-extraction.js';
import { scoreShotBench } from '../../shot/scoring.js';
import type { ShotBenchScore } from '../../shot/scoring.js';
import type { ProgressReporter } from '../../util/progress.js';
import type { BenchItem } from './dataset.js';
import { judgePredictions } from './judge-client.js';
import type { JudgeOptions } from './judge-client.js';
import { completePredictions, readPredictions } from './predictions-file.js';

export interface ScoreFileOptions {
  readonly dataset?: ReadonlyMap<number, BenchItem>;
  readonly judge?: JudgeOptions;
  readonly progress?: ProgressReporter;
}

export interface ScoredRun {
  readonly file: string;
  readonly score: ShotBenchScore;
  /** How many answers each rule decided; `judge` counts those the judge model settled. */
  readonly decidedBy: Readonly<Record<'option' | 'no-answer' | 'text' | 'judge', number>>;
}

export async function scorePredictionFile(file: string, options: ScoreFileOptions = {}): Promise<ScoredRun> {
  const predictions = completePredictions(await readPredictions(file), options.dataset, file);
  const extractions: AnswerExtraction[] = predictions.map((prediction) =>
    extractAnswerLetter(prediction.output, prediction.options),
  );
  const decidedBy = { option: 0, 'no-answer': 0, text: 0, judge: 0 };
  for (const extraction of extractions) if (extraction.decided) decidedBy[extraction.rule] += 1;

  const undecided = extractions.flatMap((extraction, position) => (extraction.decided ? [] : [position]));
  if (options.judge !== undefined && undecided.length > 0) {
    options.progress?.start(`judging ${file}`, undecided.length, 'items');
    try {
      const judged = await judgePredictions(
        undecided.map((position) => predictions[position]).filter((prediction) => prediction !== undefined),
        options.judge,
        () => options.progress?.advance(1),
      );
      judged.forEach((extraction, position) => {
        const target = undecided[position];
        if (target !== undefined && extraction.decided) {
          extractions[target] = extraction;
          decidedBy.judge += 1;
        }
      });
    } finally {
      options.progress?.finish();
    }
  }

  const score = scoreShotBench(
    predictions.map((prediction, position) => ({
      category: prediction.category,
      answer: prediction.answer,
      letter: extractions[position]?.letter ?? null,
    })),
  );
  return { file, score, decidedBy };
}
