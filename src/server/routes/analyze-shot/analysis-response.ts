// /analyze-shot's bodies: the analysis document (src/analysis/analysis-json.ts, shared with the
// results file of `shotvl analyze`) inside the response's envelope. The compiler checks the
// document against the route's TypeBox schema (schema.ts, openapi.yaml): the bodies below must be of
// the schema's types, and the document's objects must have exactly the schema's keys (so an extra
// key cannot reach the results file while Fastify's serializer drops it from the HTTP body).
import { segmentationJson, shotAnalysisJson } from '../../../analysis/analysis-json.js';
import type {
  DimensionJson,
  SegmentationJson,
  SegmentedShotJson,
  ShotAnalysisJson,
} from '../../../analysis/analysis-json.js';
import type { SegmentedAnalysis, ShotAnalysis } from '../../../analysis/analysis-results.js';
import type { AnalyzeShotResponse, AnalyzeShotSegmentsResponse } from './schema.js';

type Envelope = 'id' | 'object' | 'created' | 'model' | 'timings';
/** true when A and B have the same keys (the return types below check each key's type). */
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const documentKeysMatchSchema: [
  SameKeys<ShotAnalysisJson, Omit<AnalyzeShotResponse, Envelope>>,
  SameKeys<SegmentationJson, Omit<AnalyzeShotSegmentsResponse, Envelope>>,
  SameKeys<SegmentedShotJson, AnalyzeShotSegmentsResponse['shots'][number]>,
  SameKeys<DimensionJson, NonNullable<AnalyzeShotResponse['dimensions']['shot_size']>>,
] = [true, true, true, true];
void documentKeysMatchSchema;

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
