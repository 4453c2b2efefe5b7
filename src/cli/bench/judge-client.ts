/**
 * The official LLM fallback as an OpenAI-compatible call (ShotBench
 * `evaluation/calculate_scores.py`, `openai_generate` and `eval_row`): the matching prompt as a
 * single user message at temperature 0, each reply read with the extraction rules, up to three
 * replies per item. Where the official scorer then draws a random letter, we leave the item
 * undecided so that scores are reproducible.
 */
import type { AnswerExtraction } from '../../shot/answer-extraction.js';
import { JUDGE_ATTEMPTS, buildJudgePrompt, parseJudgeReply } from '../../shot/judge-prompt.js';
import { createChatCompletion } from './chat-client.js';
import type { ChatEndpoint } from './chat-client.js';
import type { ScorablePrediction } from './predictions-file.js';

export interface JudgeOptions {
  readonly endpoint: ChatEndpoint;
  readonly model: string;
  readonly concurrency: number;
  readonly signal?: AbortSignal;
}

export async function judgePrediction(
  prediction: ScorablePrediction,
  options: JudgeOptions,
): Promise<AnswerExtraction> {
  const prompt = buildJudgePrompt(prediction.question, prediction.options, prediction.output);
  let last: AnswerExtraction = { decided: false, letter: null, rule: null, answer: '' };
  for (let attempt = 0; attempt < JUDGE_ATTEMPTS; attempt += 1) {
    const reply = await createChatCompletion(
      options.endpoint,
      { model: options.model, messages: [{ role: 'user', content: prompt }], temperature: 0 },
      options.signal === undefined ? {} : { signal: options.signal },
    );
    last = parseJudgeReply(reply.content, prediction.options);
    if (last.decided) return last;
  }
  return last;
}

/** Judges many predictions with at most `concurrency` requests in flight; results in input order. */
export async function judgePredictions(
  predictions: readonly ScorablePrediction[],
  options: JudgeOptions,
  onJudged: () => void = () => undefined,
): Promise<AnswerExtraction[]> {
  const results: AnswerExtraction[] = new Array<AnswerExtraction>(predictions.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let position = next++; position < predictions.length; position = next++) {
      const prediction = predictions[position];
      if (prediction === undefined) continue;
      results[position] = await judgePrediction(prediction, options);
      onJudged();
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, predictions.length)) }, () => worker()),
  );
  return results;
}
