// Exports of an analysis, built in the page from the response: JSON (the response itself), CSV (one
// row per shot and dimension) and OpenTimelineIO (.otio: one video track, one clip per shot, the
// labels in each clip's metadata). Without shots the clip (or still) is a single row / clip.
// No DOM here: tests run it in Node.
import { orderedDimensions, type DimensionResults, type ShotAnalysis } from './analysis-types.js';

/** OTIO times are rational; with no frame rate in the response, times are counted at this rate. */
export const OTIO_RATE = 24;

interface ExportRow {
  shot: number | '';
  start: number | '';
  end: number | '';
  startTimecode: string;
  endTimecode: string;
  dimensions: DimensionResults;
  promptFragment: string;
  transitionIn: string;
  thumbnail?: string | null;
}

function rows(analysis: ShotAnalysis): ExportRow[] {
  const shots = analysis.shots ?? [];
  if (shots.length === 0) {
    const duration = analysis.media.duration_seconds;
    return [
      {
        shot: '',
        start: duration === null ? '' : 0,
        end: duration === null ? '' : duration,
        startTimecode: '',
        endTimecode: '',
        dimensions: analysis.dimensions,
        promptFragment: analysis.prompt_fragment,
        transitionIn: '',
      },
    ];
  }
  return shots.map((shot) => ({
    shot: shot.index,
    start: shot.start,
    end: shot.end,
    startTimecode: shot.start_timecode ?? '',
    endTimecode: shot.end_timecode ?? '',
    dimensions: shot.dimensions ?? {},
    promptFragment: shot.prompt_fragment ?? '',
    transitionIn: shot.transition_in ?? '',
    thumbnail: shot.thumbnail ?? null,
  }));
}

export function toJson(analysis: ShotAnalysis): string {
  return `${JSON.stringify(analysis, null, 2)}\n`;
}

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes inside. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CSV_COLUMNS = [
  'shot',
  'start_seconds',
  'end_seconds',
  'start_timecode',
  'end_timecode',
  'dimension',
  'label',
  'confidence',
  'prompt_fragment',
] as const;

export function toCsv(analysis: ShotAnalysis): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows(analysis)) {
    for (const [key, result] of orderedDimensions(row.dimensions)) {
      lines.push(
        [
          row.shot,
          row.start,
          row.end,
          row.startTimecode,
          row.endTimecode,
          key,
          result.label,
          result.confidence,
          row.promptFragment,
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

const rationalTime = (seconds: number) => ({
  OTIO_SCHEMA: 'RationalTime.1',
  rate: OTIO_RATE,
  value: Math.round(seconds * OTIO_RATE),
});

const timeRange = (start: number, duration: number) => ({
  OTIO_SCHEMA: 'TimeRange.1',
  start_time: rationalTime(start),
  duration: rationalTime(duration),
});

function labels(dimensions: DimensionResults): Record<string, { label: string; confidence: number }> {
  return Object.fromEntries(
    orderedDimensions(dimensions).map(([key, result]) => [key, { label: result.label, confidence: result.confidence }]),
  );
}

/**
 * An OpenTimelineIO timeline (the JSON .otio format): the clips cover the source clip in shot order;
 * a hole between two shots becomes a Gap so later clips keep their place.
 */
export function toOtio(analysis: ShotAnalysis, sourceName: string): string {
  const children: unknown[] = [];
  let cursor = 0;
  for (const row of rows(analysis)) {
    const start = typeof row.start === 'number' ? row.start : 0;
    const end = typeof row.end === 'number' ? row.end : start;
    if (start > cursor) {
      children.push({
        OTIO_SCHEMA: 'Gap.1',
        name: '',
        source_range: timeRange(0, start - cursor),
        effects: [],
        markers: [],
        enabled: true,
        metadata: {},
      });
    }
    children.push({
      OTIO_SCHEMA: 'Clip.2',
      name: row.shot === '' ? sourceName : `${sourceName} shot ${row.shot + 1}`,
      source_range: timeRange(start, Math.max(0, end - start)),
      effects: [],
      markers: [],
      enabled: true,
      media_references: {
        DEFAULT_MEDIA: {
          OTIO_SCHEMA: 'ExternalReference.1',
          name: sourceName,
          target_url: sourceName,
          available_range: null,
          available_image_bounds: null,
          metadata: {},
        },
      },
      active_media_reference_key: 'DEFAULT_MEDIA',
      metadata: {
        shotvl: {
          ...(row.shot === '' ? {} : { shot: row.shot, start_seconds: start, end_seconds: end }),
          ...(row.transitionIn === '' ? {} : { transition_in: row.transitionIn }),
          dimensions: labels(row.dimensions),
          prompt_fragment: row.promptFragment,
        },
      },
    });
    cursor = Math.max(cursor, end);
  }
  const timeline = {
    OTIO_SCHEMA: 'Timeline.1',
    name: sourceName,
    global_start_time: null,
    metadata: { shotvl: { id: analysis.id, model: analysis.model, mode: analysis.mode } },
    tracks: {
      OTIO_SCHEMA: 'Stack.1',
      name: 'tracks',
      source_range: null,
      effects: [],
      markers: [],
      enabled: true,
      metadata: {},
      children: [
        {
          OTIO_SCHEMA: 'Track.1',
          name: 'Video 1',
          kind: 'Video',
          source_range: null,
          effects: [],
          markers: [],
          enabled: true,
          metadata: {},
          children,
        },
      ],
    },
  };
  return `${JSON.stringify(timeline, null, 2)}\n`;
}
