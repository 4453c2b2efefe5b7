// One format's run of the fixed inputs against the reference format's run: per prompt, the error of
// the answer-position logits and of the teacher-forced decode steps, next-token argmax agreement,
// and for choice prompts the option letter /analyze-shot would pick and its probabilities; per
// format, the worst case of each over all prompts (the line the README's accuracy table takes).
import { argmax } from '../../runtime/sampling/logits-processors.js';
import { compareArrays, mergeStats, NO_ERROR, type ErrorStats } from './error-stats.js';
import type { FormatRun, PromptRun } from './reference-run.js';
import type { CaseResult, StageResult } from './run-parity.js';

export interface Agreement {
  agree: number;
  compared: number;
}

export interface FormatSummary {
  format: string;
  visionFeatures: ErrorStats | undefined;
  /** The last prompt position of every prompt. */
  prefillLogits: ErrorStats;
  /** Teacher-forced single-token steps of the continuation prompts (undefined when none ran). */
  decodeLogits: ErrorStats | undefined;
  nextToken: Agreement;
  optionLetters: Agreement;
  /** Largest difference of an option letter's probability (renormalised over the letters). */
  optionProbabilities: ErrorStats | undefined;
}

export interface FormatComparison {
  cases: CaseResult[];
  summary: FormatSummary;
}

/** A measurement, not a check: only a non-finite error (a broken graph) fails it. */
function measured(stage: string, error: ErrorStats): StageResult {
  return { stage, error, passed: Number.isFinite(error.maxAbsolute) && Number.isFinite(error.cosine) };
}

function agreementStage(stage: string, agreement: Agreement, detail?: string): StageResult {
  return {
    stage,
    mismatches: agreement.compared - agreement.agree,
    compared: agreement.compared,
    passed: true,
    ...(detail === undefined ? {} : { detail }),
  };
}

interface PromptComparison {
  result: CaseResult;
  prefill: ErrorStats;
  decode: ErrorStats | undefined;
  nextToken: Agreement;
  letter: { agrees: boolean; probabilities: ErrorStats } | undefined;
}

function comparePrompt(ours: PromptRun, reference: PromptRun): PromptComparison {
  if (ours.logits.length !== reference.logits.length)
    throw new Error(
      `${ours.name}: ${ours.logits.length} logits rows against the reference's ${reference.logits.length}`,
    );
  const prefill = compareArrays(ours.logits[0]!, reference.logits[0]!);
  const stages: StageResult[] = [measured('prefill logits (last position)', prefill)];
  let decode: ErrorStats | undefined;
  for (let step = 1; step < ours.logits.length; step += 1)
    decode = mergeStats(decode ?? NO_ERROR, compareArrays(ours.logits[step]!, reference.logits[step]!));
  if (decode !== undefined)
    stages.push(measured(`decode logits (${ours.logits.length - 1} teacher-forced steps)`, decode));
  const nextToken: Agreement = {
    agree: ours.logits.filter((row, step) => argmax(row) === argmax(reference.logits[step]!)).length,
    compared: ours.logits.length,
  };
  stages.push(
    agreementStage(
      nextToken.compared === 1
        ? 'next-token argmax (answer position)'
        : `next-token argmax (${nextToken.compared} positions)`,
      nextToken,
    ),
  );
  let letter: PromptComparison['letter'];
  if (ours.choice !== undefined && reference.choice !== undefined) {
    const [mine, theirs] = [ours.choice, reference.choice];
    if (mine.letters.join() !== theirs.letters.join()) throw new Error(`${ours.name}: the option letters differ`);
    const pick = (scores: typeof mine) =>
      `${scores.letters[scores.best]} (p ${scores.probabilities[scores.best]!.toFixed(3)})`;
    letter = {
      agrees: mine.best === theirs.best,
      probabilities: compareArrays(mine.probabilities, theirs.probabilities),
    };
    stages.push(
      agreementStage(
        `option letter (${mine.letters[0]}-${mine.letters[mine.letters.length - 1]})`,
        { agree: letter.agrees ? 1 : 0, compared: 1 },
        `reference ${pick(theirs)}, this format ${pick(mine)}`,
      ),
      measured('option letter probabilities', letter.probabilities),
    );
  }
  return { result: { name: ours.name, stages }, prefill, decode, nextToken, letter };
}

const add = (a: Agreement, agree: number, compared: number): Agreement => ({
  agree: a.agree + agree,
  compared: a.compared + compared,
});

export function compareFormatRuns(ours: FormatRun, reference: FormatRun): FormatComparison {
  const cases: CaseResult[] = [];
  let visionFeatures: ErrorStats | undefined;
  if (reference.visionFeatures.length > 0) {
    visionFeatures = compareArrays(ours.visionFeatures, reference.visionFeatures);
    cases.push({ name: 'test card', stages: [measured('vision features', visionFeatures)] });
  }
  const summary: FormatSummary = {
    format: ours.format,
    visionFeatures,
    prefillLogits: NO_ERROR,
    decodeLogits: undefined,
    nextToken: { agree: 0, compared: 0 },
    optionLetters: { agree: 0, compared: 0 },
    optionProbabilities: undefined,
  };
  for (const run of ours.prompts) {
    const referenceRun = reference.prompts.find((candidate) => candidate.name === run.name);
    if (referenceRun === undefined) throw new Error(`the reference has no run of '${run.name}'`);
    const { result, prefill, decode, nextToken, letter } = comparePrompt(run, referenceRun);
    cases.push(result);
    summary.prefillLogits = mergeStats(summary.prefillLogits, prefill);
    if (decode !== undefined) summary.decodeLogits = mergeStats(summary.decodeLogits ?? NO_ERROR, decode);
    summary.nextToken = add(summary.nextToken, nextToken.agree, nextToken.compared);
    if (letter !== undefined) {
      summary.optionLetters = add(summary.optionLetters, letter.agrees ? 1 : 0, 1);
      summary.optionProbabilities = mergeStats(summary.optionProbabilities ?? NO_ERROR, letter.probabilities);
    }
  }
  return { cases, summary };
}
