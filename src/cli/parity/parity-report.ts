import type { CaseResult, StageResult } from './run-parity.js';

function formatNumber(value: number): string {
  return value === 0 ? '0' : value.toExponential(2);
}

function describe(stage: StageResult): string {
  if (stage.error !== undefined)
    return `max abs ${formatNumber(stage.error.maxAbsolute)}  max rel ${formatNumber(stage.error.maxRelative)}  cosine ${stage.error.cosine.toFixed(6)}`;
  if (stage.compared !== undefined) return `${stage.mismatches ?? 0} of ${stage.compared} differ`;
  return stage.detail ?? '';
}

export function formatParityReport(results: CaseResult[], header: string): string {
  const lines = [header];
  for (const result of results) {
    lines.push(`case ${result.name}`);
    for (const stage of result.stages) {
      lines.push(`  ${stage.passed ? 'ok  ' : 'FAIL'} ${stage.stage.padEnd(48)} ${describe(stage)}`);
    }
  }
  const failed = results.flatMap((result) =>
    result.stages.filter((stage) => !stage.passed).map((stage) => `${result.name}: ${stage.stage}`),
  );
  lines.push(
    failed.length === 0
      ? 'parity: all stages within tolerance'
      : `parity: ${failed.length} stage(s) outside tolerance: ${failed.join('; ')}`,
  );
  return lines.join('\n');
}
