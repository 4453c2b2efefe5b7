// What POST /analyze-shot answers, as the page reads it. tests/web/analysis-types.test.ts checks at
// compile time that the server's response type fits this one, so the two cannot drift apart.
// `shots` appears when the server segments a clip into shots (`segment`); the page works without it.

export interface DimensionResult {
  label: string;
  confidence: number;
  distribution: Record<string, number>;
  letter: string;
  reasoning?: string;
}

export type DimensionResults = Record<string, DimensionResult | undefined>;

export interface ShotSegment {
  index: number;
  /** Seconds from the start of the clip. */
  start: number;
  end: number;
  start_timecode?: string;
  end_timecode?: string;
  frames?: number | null;
  transition_in?: string | null;
  /** A data: or same-origin URL of a frame of the shot. */
  thumbnail?: string | null;
  dimensions?: DimensionResults;
  prompt_fragment?: string;
}

export interface ShotAnalysis {
  id: string;
  model: string;
  mode: string;
  media: {
    kind: 'image' | 'video';
    width: number | null;
    height: number | null;
    frames: number | null;
    duration_seconds: number | null;
    tokens: number | null;
  };
  dimensions: DimensionResults;
  prompt_fragment: string;
  enriched_prompt?: string;
  usage: {
    requests: number;
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number };
  };
  timings: { media_ms: number; inference_ms: number; total_ms: number };
  shots?: ShotSegment[];
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
