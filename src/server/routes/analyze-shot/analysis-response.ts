// /analyze-shot's bodies: the analysis document (src/analysis/analysis-json.ts, shared with the
// results file of `shotvl analyze`) inside the response's envelope. Typed against the route's
// TypeBox schema (schema.ts), so the compiler checks the document matches what openapi.yaml says.
import { segmentationJson, shotAnalysisJson } from '../../../analysis/analysis-json.js';
import type { SegmentedAnalysis, ShotAnalysis } from '../../../analysis/analysis-results.js';
import type { AnalyzeShotResponse, AnalyzeShotSegmentsResponse } from './schema.js';

/** What the route adds around an analysis: the response's identity and its timings. */
export interface ResponseEnvelope {
  id: string;
  created: number;
  model: string;
  timings: AnalyzeShotResponse['timings'];
}

/** POST /analyze-shot's body (`shot.analysis`). */
export function analyzeShotResponse(analysis: ShotAnalysis, envelope: ResponseEnvelope): AnalyzeShotResponse {
  return {
    id: envelope.id,
    object: 'shot.analysis',
    created: envelope.created,
    model: envelope.model,
    ...shotAnalysisJson(analysis),
    timings: envelope.timings,
  };
}

/** POST /analyze-shot's body with `segment: "auto"` (`shot.segmentation`), also the stream's last event. */
export function segmentationResponse(
  analysis: SegmentedAnalysis,
  mode: AnalyzeShotSegmentsResponse['mode'],
  envelope: ResponseEnvelope,
): AnalyzeShotSegmentsResponse {
  return {
    id: envelope.id,
    object: 'shot.segmentation',
    created: envelope.created,
    model: envelope.model,
    ...segmentationJson(analysis, mode),
    timings: envelope.timings,
  };
}
