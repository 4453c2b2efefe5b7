/**
 * Renders scores the way the paper's table reads: one row per run, the eight dimensions in
 * column order, Avg, Overall; accuracies in percent with one decimal.
 */
import type { ScoreDifference, ShotBenchScore } from '../../shot/scoring.js';
import { scoreDifference } from '../../shot/scoring.js';

export const SCORE_FORMATS = ['table', 'markdown', 'json'] as const;
export type ScoreFormat = (typeof SCORE_FORMATS)[number];

export interface NamedScore {
  readonly name: string;
  readonly score: ShotBenchScore;
  readonly judged?: number;
}

const percent = (value: number | null): string => (value === null ? '-' : (100 * value).toFixed(1));
function signedPoints(value: number | null): string {
  if (value === null) return '-';
  const text = (100 * value).toFixed(1);
  // A tiny negative difference rounds to "-0.0"; show it as no change.
  return text === '-0.0' ? '+0.0' : text.startsWith('-') ? text : `+${text}`;
}

function header(score: ShotBenchScore): string[] {
  return ['Run', ...score.categories.map((category) => category.abbreviation), 'Avg', 'Overall', 'Items', 'Undecided'];
}

function scoreCells(run: NamedScore): string[] {
  const { score } = run;
  const average = percent(score.average) + (score.average !== null && !score.averageCoversAllCategories ? '*' : '');
  return [
    run.name,
    ...score.categories.map((category) => percent(category.accuracy)),
    average,
    percent(score.overall.accuracy),
    String(score.overall.total),
    String(score.undecided),
  ];
}

function differenceCells(name: string, difference: ScoreDifference): string[] {
  return [
    name,
    ...difference.categories.map((category) => signedPoints(category.difference)),
    signedPoints(difference.average),
    signedPoints(difference.overall),
    '',
    '',
  ];
}

/** Differences of every run after the first against the first, labelled "b - a". */
export function differencesAgainstFirst(runs: readonly NamedScore[]): { name: string; difference: ScoreDifference }[] {
  const [baseline, ...others] = runs;
  if (baseline === undefined) return [];
  return others.map((run) => ({
    name: `${run.name} - ${baseline.name}`,
    difference: scoreDifference(baseline.score, run.score),
  }));
}

function footnotes(runs: readonly NamedScore[]): string[] {
  const notes: string[] = [];
  if (runs.some((run) => run.score.average !== null && !run.score.averageCoversAllCategories)) {
    notes.push('* Avg over the dimensions present; the paper averages all eight.');
  }
  if (runs.some((run) => run.score.undecided > 0)) {
    notes.push('Undecided: outputs no rule (nor judge) could map to an option; scored as misses.');
  }
  return notes;
}

function renderText(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function renderMarkdown(rows: string[][]): string {
  const [head, ...body] = rows;
  if (head === undefined) return '';
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, column) => (column === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

export function formatScores(runs: readonly NamedScore[], format: ScoreFormat, withDifferences: boolean): string {
  const differences = withDifferences ? differencesAgainstFirst(runs) : [];
  if (format === 'json') return JSON.stringify(scoresToJson(runs, differences), null, 2);
  const first = runs[0];
  if (first === undefined) return '';
  const rows = [
    header(first.score),
    ...runs.map(scoreCells),
    ...differences.map((entry) => differenceCells(entry.name, entry.difference)),
  ];
  const notes = footnotes(runs);
  if (format === 'markdown') return [renderMarkdown(rows), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
  const table = renderText(rows);
  // A rule between the runs and their differences, as wide as the table.
  const lines = table.split('\n');
  if (differences.length > 0)
    lines.splice(1 + runs.length, 0, '-'.repeat(Math.max(...lines.map((line) => line.length))));
  return [...lines, ...notes].join('\n');
}

export function scoresToJson(
  runs: readonly NamedScore[],
  differences: readonly { name: string; difference: ScoreDifference }[],
): unknown {
  return {
    runs: runs.map((run) => ({
      name: run.name,
      categories: Object.fromEntries(run.score.categories.map((category) => [category.abbreviation, category])),
      average: run.score.average,
      average_covers_all_categories: run.score.averageCoversAllCategories,
      overall: run.score.overall,
      undecided: run.score.undecided,
      ...(run.judged === undefined ? {} : { judged: run.judged }),
    })),
    ...(differences.length > 0
      ? {
          differences: differences.map((entry) => ({
            name: entry.name,
            categories: Object.fromEntries(
              entry.difference.categories.map((category) => [category.abbreviation, category.difference]),
            ),
            average: entry.difference.average,
            overall: entry.difference.overall,
          })),
        }
      : {}),
  };
}
