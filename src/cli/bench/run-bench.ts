/**
 * `bench run`: send every selected ShotBench item to an OpenAI-compatible endpoint with a fixed
 * number in flight, extract and check each answer, and append one line per item to the
 * predictions file. Items already in that file are skipped, so an interrupted run resumes.
 */
import { access } from 'node:fs/promises';
import { extractAnswerLetter } from '../../shot/answer-extraction.js';
import type { ShotPromptMode } from '../../shot/system-prompts.js';
import type { ProgressReporter } from '../../util/progress.js';
import { createChatCompletion } from './chat-client.js';
import type { ChatEndpoint } from './chat-client.js';
import type { BenchItem } from './dataset.js';
import { buildBenchMessages } from './messages.js';
import type { VideoFrameSampler } from './messages.js';
import { PredictionWriter, completePredictions, readPredictions } from './predictions-file.js';
import type { PredictionRecord } from './predictions-file.js';

/** The official evaluation's `--max-new-tokens` default (ShotBench evaluation/shotvl/evaluate.py). */
export const OFFICIAL_MAX_TOKENS = 1024;

export interface BenchRunOptions {
  readonly items: readonly BenchItem[];
  readonly endpoint: ChatEndpoint;
  readonly model: string;
  readonly mode: ShotPromptMode;
  readonly concurrency: number;
  readonly maxTokens: number;
  /** Extra request fields merged last (they may override temperature or max_tokens). */
  readonly extraBody: Readonly<Record<string, unknown>>;
  readonly mediaDirectory: string;
  readonly videoFrames?: VideoFrameSampler;
  readonly outFile: string;
  /** Stop starting new items once this many have failed. */
  readonly maxFailures: number;
  readonly progress: ProgressReporter;
  /** One-line notices (failures, retries). */
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface BenchRunSummary {
  readonly selected: number;
  /** Selected items already in the output file before this run. */
  readonly skipped: number;
  readonly completed: number;
  readonly failed: number;
  /** Hits over all selected items now in the file (skipped and completed). */
  readonly hits: number;
  readonly stoppedEarly: boolean;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Hits among selected items already answered in `file`, and their indices. */
async function previousAnswers(
  file: string,
  items: readonly BenchItem[],
): Promise<{ done: Set<number>; hits: number }> {
  if (!(await exists(file))) return { done: new Set(), hits: 0 };
  const selected = new Map(items.map((item) => [item.index, item]));
  const previous = (await readPredictions(file)).filter((prediction) => selected.has(prediction.index));
  const complete = completePredictions(previous, selected, file);
  const hits = complete.filter(
    (prediction) => extractAnswerLetter(prediction.output, prediction.options).letter === prediction.answer,
  ).length;
  return { done: new Set(complete.map((prediction) => prediction.index)), hits };
}

export async function runBench(options: BenchRunOptions): Promise<BenchRunSummary> {
  const { done, hits: previousHits } = await previousAnswers(options.outFile, options.items);
  const pending = options.items.filter((item) => !done.has(item.index));
  const writer = await PredictionWriter.open(options.outFile);
  let completed = 0;
  let failed = 0;
  let hits = previousHits;
  let retries = 0;
  let stopping = false;
  let next = 0;

  const showDetail = (): void => {
    const answered = done.size + completed;
    const accuracy = answered > 0 ? `acc ${((100 * hits) / answered).toFixed(1)}%` : 'acc --';
    options.progress.detail?.(
      [accuracy, failed > 0 ? `${failed} failed` : '', retries > 0 ? `${retries} retries` : '']
        .filter(Boolean)
        .join(' · '),
    );
  };

  const answer = async (item: BenchItem): Promise<void> => {
    const messages = await buildBenchMessages(item, {
      mediaDirectory: options.mediaDirectory,
      mode: options.mode,
      ...(options.videoFrames === undefined ? {} : { videoFrames: options.videoFrames }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const request = {
      model: options.model,
      messages,
      temperature: 0,
      max_tokens: options.maxTokens,
      ...options.extraBody,
    };
    const completion = await createChatCompletion(options.endpoint, request, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      onRetry: (retry, delayMs, reason) => {
        retries += 1;
        options.log(`index ${item.index}: ${reason}; retry ${retry} in ${(delayMs / 1000).toFixed(1)} s`);
        showDetail();
      },
    });
    const extraction = extractAnswerLetter(completion.content, item.options);
    const record: PredictionRecord = {
      index: item.index,
      category: item.category,
      answer: item.answer,
      letter: extraction.letter,
      rule: extraction.rule,
      hit: extraction.letter === item.answer,
      output: completion.content,
      ...(completion.reasoning === undefined ? {} : { reasoning: completion.reasoning }),
      ...(completion.finishReason === undefined ? {} : { finish_reason: completion.finishReason }),
      latency_ms: completion.latencyMs,
      attempts: completion.attempts,
      usage: completion.usage ?? null,
      model: options.model,
      mode: options.mode,
      question: item.question,
      options: item.options,
    };
    await writer.append(record);
    completed += 1;
    if (record.hit) hits += 1;
  };

  // A function, not an inline check: the signal changes between awaits.
  const aborted = (): boolean => options.signal?.aborted === true;
  const worker = async (): Promise<void> => {
    while (!stopping && !aborted()) {
      const item = pending[next];
      next += 1;
      if (item === undefined) return;
      try {
        await answer(item);
      } catch (error) {
        if (aborted()) return;
        failed += 1;
        options.log(`index ${item.index}: failed: ${(error as Error).message}`);
        if (failed >= options.maxFailures) {
          if (!stopping) options.log(`stopping: ${failed} items failed (--max-failures ${options.maxFailures})`);
          stopping = true;
        }
      }
      options.progress.advance(1);
      showDetail();
    }
  };

  options.progress.start('ShotBench', pending.length, 'items');
  showDetail();
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency, pending.length)) }, () => worker()),
    );
  } finally {
    options.progress.finish();
    await writer.close();
  }
  return {
    selected: options.items.length,
    skipped: done.size,
    completed,
    failed,
    hits,
    stoppedEarly: stopping || aborted(),
  };
}
