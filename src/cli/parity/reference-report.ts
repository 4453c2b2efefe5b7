// The text `shotvl parity --reference` prints: each format's stages per prompt, then one summary row
// per format as a Markdown table (the shape of the README's accuracy table).
import type { ErrorStats } from './error-stats.js';
import type { Agreement, FormatComparison } from './reference-compare.js';
import type { StageResult } from './run-parity.js';

function formatNumber(value: number): string {
  return value === 0 ? '0' : value.toExponential(2);
}

function errorText(error: ErrorStats): string {
  return `max abs ${formatNumber(error.maxAbsolute)}  max rel ${formatNumber(error.maxRelative)}  cosine ${error.cosine.toFixed(6)}`;
}

function describe(stage: StageResult): string {
  if (stage.error !== undefined) return errorText(stage.error);
  const agreement =
    stage.compared === undefined ? '' : `${stage.compared - (stage.mismatches ?? 0)} of ${stage.compared} agree`;
  return [agreement, stage.detail ?? ''].filter((part) => part !== '').join(': ');
}

function cell(error: ErrorStats | undefined): string {
  return error === undefined
    ? '–'
    : `${formatNumber(error.maxAbsolute)} / ${formatNumber(error.maxRelative)} / ${error.cosine.toFixed(4)}`;
}

function agreementCell(agreement: Agreement): string {
  return agreement.compared === 0 ? '–' : `${agreement.agree} of ${agreement.compared}`;
}

export interface ReferenceReportInput {
  header: string;
  reference: { format: string; seconds: number };
  comparisons: (FormatComparison & { seconds: number })[];
}

export function referenceFailures(comparisons: readonly FormatComparison[]): string[] {
  return comparisons.flatMap(({ summary, cases }) =>
    cases.flatMap((result) =>
      result.stages.filter((stage) => !stage.passed).map((stage) => `${summary.format} ${result.name}: ${stage.stage}`),
    ),
  );
}

export function formatReferenceReport(input: ReferenceReportInput): string {
  const lines = [input.header, `reference ${input.reference.format}: ${input.reference.seconds.toFixed(1)} s`];
  for (const { summary, cases, seconds } of input.comparisons) {
    lines.push(`format ${summary.format} (${seconds.toFixed(1)} s)`);
    for (const result of cases) {
      lines.push(`  ${result.name}`);
      for (const stage of result.stages)
        lines.push(`    ${stage.stage.padEnd(40)} ${describe(stage)}${stage.passed ? '' : '  FAIL: not finite'}`);
    }
  }
  lines.push(
    '',
    `summary against ${input.reference.format} (max abs / max rel / cosine: the worst prompt; agreement summed over the prompts)`,
    '',
    '| format | vision features | prefill logits (last position) | decode logits (teacher-forced) | next-token argmax agrees | option letter agrees | option probabilities max abs |',
    '|---|---|---|---|---|---|---|',
    ...input.comparisons.map(
      ({ summary }) =>
        `| ${summary.format} | ${cell(summary.visionFeatures)} | ${cell(summary.prefillLogits)} | ${cell(summary.decodeLogits)} | ${agreementCell(summary.nextToken)} | ${agreementCell(summary.optionLetters)} | ${summary.optionProbabilities === undefined ? '–' : formatNumber(summary.optionProbabilities.maxAbsolute)} |`,
    ),
    '',
  );
  const failed = referenceFailures(input.comparisons);
  lines.push(
    failed.length === 0
      ? `parity: ${input.comparisons.length} format(s) measured against ${input.reference.format} (no thresholds)`
      : `parity: ${failed.length} stage(s) with non-finite values: ${failed.join('; ')}`,
  );
  return lines.join('\n');
}
