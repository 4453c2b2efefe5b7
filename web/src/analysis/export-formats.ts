// Exports of an analysis, built in the page from the response with the server's own exporters
// (src/shot/export, pure code shared with the server): the response itself as JSON, CSV (a row per
// shot), OpenTimelineIO (.otio: a clip per shot on one video track) and a CMX 3600 EDL. A segmented
// clip brings its frame rate and shot frames; a single still or clip is one shot, counted at
// FALLBACK_FRAME_RATE because /analyze-shot reports no frame rate for it.
import { shotsToCsv } from '../../../src/shot/export/csv-export.js';
import { shotsToEdl } from '../../../src/shot/export/edl-export.js';
import type { ExportClip, ExportShot } from '../../../src/shot/export/export-types.js';
import { shotsToOtioJson } from '../../../src/shot/export/otio-export.js';
import { isSegmentation, orderedDimensions, type AnalysisResponse, type DimensionResults } from './analysis-types.js';

export const FALLBACK_FRAME_RATE = 24;

function labels(dimensions: DimensionResults): ExportShot['labels'] {
  return orderedDimensions(dimensions).map(([dimension, result]) => ({
    dimension,
    label: result.label,
    confidence: result.confidence,
  }));
}

/** The response as the exporters' clip; `name` is the file name or URL the person gave. */
export function exportClip(response: AnalysisResponse, name: string): ExportClip {
  const fileName = name.split(/[/\\]/).pop() || name;
  if (isSegmentation(response)) {
    return {
      name: fileName,
      targetUrl: name,
      frameRate: response.clip.frame_rate,
      frameCount: response.clip.frames,
      shots: response.shots.map((shot) => ({
        index: shot.index,
        startFrame: shot.start_frame,
        endFrame: shot.end_frame,
        transitionIn: shot.transition_in,
        labels: labels(shot.dimensions),
        promptFragment: shot.prompt_fragment,
        still: shot.analysed_as === 'still',
      })),
    };
  }
  const seconds = response.media.kind === 'video' ? (response.media.duration_seconds ?? 0) : 0;
  // A still is one frame on the timeline.
  const frameCount = Math.max(1, Math.round(seconds * FALLBACK_FRAME_RATE));
  return {
    name: fileName,
    targetUrl: name,
    frameRate: FALLBACK_FRAME_RATE,
    frameCount,
    shots: [
      {
        index: 0,
        startFrame: 0,
        endFrame: frameCount,
        transitionIn: null,
        labels: labels(response.dimensions),
        promptFragment: response.prompt_fragment,
        still: response.media.kind === 'image',
      },
    ],
  };
}

export interface ExportFormat {
  label: string;
  extension: string;
  type: string;
  render(response: AnalysisResponse, name: string): string;
}

export const EXPORT_FORMATS: readonly ExportFormat[] = [
  {
    label: 'JSON',
    extension: 'shotvl.json',
    type: 'application/json',
    render: (response) => `${JSON.stringify(response, null, 2)}\n`,
  },
  { label: 'CSV', extension: 'shotvl.csv', type: 'text/csv', render: (r, n) => shotsToCsv(exportClip(r, n)) },
  { label: 'OTIO', extension: 'otio', type: 'application/json', render: (r, n) => shotsToOtioJson(exportClip(r, n)) },
  { label: 'EDL', extension: 'edl', type: 'text/plain', render: (r, n) => shotsToEdl(exportClip(r, n)) },
];
