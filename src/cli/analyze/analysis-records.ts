/**
 * The results-file lines of `shotvl analyze --model`: the analysis document
 * (src/analysis/analysis-json.ts, the same mapper POST /analyze-shot uses) with the model and the
 * file's analysis time. The format is documented (README, "shotvl analyze") as the /analyze-shot
 * JSON without the response's id, object and created (a segmented clip keeps its object), so that
 * --model and --endpoint write the same lines.
 */
import {
  segmentationJson,
  shotAnalysisJson,
  type SegmentationJson,
  type ShotAnalysisJson,
} from '../../analysis/analysis-json.js';
import type { SegmentedAnalysis, ShotAnalysis } from '../../analysis/analysis-results.js';
import type { AnalysisMode } from '../../shot/analysis/analysis-question.js';

type CliTimings = { timings: { total_ms: number } };

/** A file analysed as one shot. */
export function shotAnalysisRecord(
  analysis: ShotAnalysis,
  model: string,
  totalMs: number,
): { model: string } & ShotAnalysisJson & CliTimings {
  return { model, ...shotAnalysisJson(analysis), timings: { total_ms: totalMs } };
}

/** A segmented clip, shots included (run-analyze.ts writes one line per shot, then the clip's). */
export function segmentationRecord(
  analysis: SegmentedAnalysis,
  model: string,
  mode: AnalysisMode,
  totalMs: number,
): { object: 'shot.segmentation'; model: string } & SegmentationJson & CliTimings {
  return { object: 'shot.segmentation', model, ...segmentationJson(analysis, mode), timings: { total_ms: totalMs } };
}
