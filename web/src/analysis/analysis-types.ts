// What POST /analyze-shot answers, as the page reads it: a `shot.analysis` of one still or clip, or,
// when the server splits a clip into shots (`segment: "auto"`, offered when /ui/config.json says
// shot_segmentation), a `shot.segmentation` with an analysis per shot. tests/web checks at compile
// time that the server's response types fit these, so the two cannot drift apart.

export interface DimensionResult {
  label: string;
  confidence: number;
  distribution: Record<string, number>;
  letter: string;
  reasoning?: string;
}

export type DimensionResults = Record<string, DimensionResult | undefined>;

export interface MediaSummary {
  kind: 'image' | 'video';
  width: number | null;
  height: number | null;
  frames: number | null;
  duration_seconds: number | null;
  tokens: number | null;
}

export interface AnalysisUsage {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

export interface AnalysisTimings {
  media_ms: number;
  inference_ms: number;
  total_ms: number;
}

export interface ShotAnalysis {
  id: string;
  object: 'shot.analysis';
  model: string;
  mode: string;
  media: MediaSummary;
  dimensions: DimensionResults;
  prompt_fragment: string;
  enriched_prompt?: string;
  usage: AnalysisUsage;
  timings: AnalysisTimings;
}

export type ShotTransition = 'cut' | 'fade' | 'dissolve' | null;

/** One shot of a segmented clip; frames count from the clip's first, `end_frame` exclusive. */
export interface SegmentedShot {
  index: number;
  /** Seconds from the start of the clip. */
  start: number;
  end: number;
  start_frame: number;
  end_frame: number;
  start_timecode: string;
  end_timecode: string;
  transition_in: ShotTransition;
  analysed_as: 'video' | 'still';
  /** A data:image/jpeg URL of the shot's middle frame, when asked for (`thumbnails`). */
  thumbnail?: string;
  media: MediaSummary;
  dimensions: DimensionResults;
  prompt_fragment: string;
  usage: AnalysisUsage;
}

export interface ShotSegmentation {
  id: string;
  object: 'shot.segmentation';
  model: string;
  mode: string;
  clip: { frame_rate: number; frames: number; duration_seconds: number; width: number; height: number };
  shots: SegmentedShot[];
  usage: AnalysisUsage;
  timings: AnalysisTimings;
}

export type AnalysisResponse = ShotAnalysis | ShotSegmentation;

export function isSegmentation(response: AnalysisResponse): response is ShotSegmentation {
  return response.object === 'shot.segmentation';
}

/** The dimensions in the paper's column order (SS SF CA LS LT LC SC CM), with their titles. */
export const DIMENSIONS: readonly { key: string; title: string; videoOnly: boolean }[] = [
  { key: 'shot_size', title: 'Shot size', videoOnly: false },
  { key: 'shot_framing', title: 'Shot framing', videoOnly: false },
  { key: 'camera_angle', title: 'Camera angle', videoOnly: false },
  { key: 'lens_size', title: 'Lens size', videoOnly: false },
  { key: 'lighting_type', title: 'Lighting type', videoOnly: false },
  { key: 'lighting_condition', title: 'Lighting condition', videoOnly: false },
  { key: 'composition', title: 'Composition', videoOnly: false },
  { key: 'camera_movement', title: 'Camera movement', videoOnly: true },
];

export function dimensionTitle(key: string): string {
  return DIMENSIONS.find((dimension) => dimension.key === key)?.title ?? key.replaceAll('_', ' ');
}

/** The answered dimensions in display order (known ones first, then any the server added). */
export function orderedDimensions(results: DimensionResults): [string, DimensionResult][] {
  const known = DIMENSIONS.map((dimension) => dimension.key);
  const keys = [
    ...known.filter((key) => key in results),
    ...Object.keys(results).filter((key) => !known.includes(key)),
  ];
  return keys.flatMap((key) => {
    const result = results[key];
    return result === undefined ? [] : [[key, result] as [string, DimensionResult]];
  });
}

/** A distribution's labels, most likely first. */
export function rankedLabels(result: DimensionResult): [string, number][] {
  return Object.entries(result.distribution).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Dimension keys a form may ask for a still or a clip (camera movement needs a clip). */
export function dimensionsFor(kind: 'image' | 'video'): string[] {
  return DIMENSIONS.filter((dimension) => kind === 'video' || !dimension.videoOnly).map((dimension) => dimension.key);
}
