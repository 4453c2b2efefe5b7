// CSV, one row per shot (RFC 4180: comma-separated, CRLF line ends, fields with commas, quotes or
// line breaks quoted). Columns: the shot's place (frames, seconds, timecodes), how it begins, then a
// label and a confidence column per dimension, then the prompt fragment.
import type { ExportClip } from './export-types.js';
import { frameToTimecode, timecodeRate } from './timecode.js';

function field(value: string | number | boolean): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function shotsToCsv(clip: ExportClip): string {
  const rate = timecodeRate(clip.frameRate);
  const dimensions = [...new Set(clip.shots.flatMap((shot) => shot.labels.map((entry) => entry.dimension)))];
  const header = [
    'clip',
    'shot',
    'start_frame',
    'end_frame',
    'frames',
    'start_seconds',
    'end_seconds',
    'start_timecode',
    'end_timecode',
    'transition_in',
    'analysed_as',
    ...dimensions.flatMap((dimension) => [dimension, `${dimension}_confidence`]),
    'prompt_fragment',
  ];
  const rows = clip.shots.map((shot) => {
    const labels = new Map(shot.labels.map((entry) => [entry.dimension, entry]));
    return [
      clip.name,
      shot.index,
      shot.startFrame,
      shot.endFrame,
      shot.endFrame - shot.startFrame,
      (shot.startFrame / clip.frameRate).toFixed(3),
      (shot.endFrame / clip.frameRate).toFixed(3),
      frameToTimecode(shot.startFrame, rate),
      frameToTimecode(shot.endFrame, rate),
      shot.transitionIn ?? '',
      shot.still ? 'still' : 'video',
      ...dimensions.flatMap((dimension) => {
        const entry = labels.get(dimension);
        return entry === undefined ? ['', ''] : [entry.label, entry.confidence.toFixed(4)];
      }),
      shot.promptFragment,
    ];
  });
  return [header, ...rows].map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}
