// What the exports describe: one source clip split into shots, each with its labels. Frames count
// from the clip's first frame; `end` is exclusive (the first frame of the next shot).

export type ExportTransition = 'cut' | 'fade' | 'dissolve';

export interface ExportLabel {
  /** Dimension key, e.g. shot_size. */
  dimension: string;
  label: string;
  confidence: number;
}

export interface ExportShot {
  index: number;
  startFrame: number;
  endFrame: number;
  /** How the shot begins; null for the first. */
  transitionIn: ExportTransition | null;
  labels: ExportLabel[];
  promptFragment: string;
  /** Analysed as a still (its middle frame): too short for the video model. */
  still: boolean;
}

export interface ExportClip {
  /** Clip name shown in the editor (the file name). */
  name: string;
  /** Where the media is: a file: URL or path, as the editor should find it. */
  targetUrl: string;
  frameRate: number;
  frameCount: number;
  shots: ExportShot[];
}

/** Labels as one line: "shot_size: Medium Shot (0.82); camera_angle: Low Angle (0.61)". */
export function labelSummary(shot: ExportShot): string {
  return shot.labels.map((entry) => `${entry.dimension}: ${entry.label} (${entry.confidence.toFixed(2)})`).join('; ');
}
