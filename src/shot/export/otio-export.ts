// OpenTimelineIO JSON: Timeline -> Stack -> one video Track -> a Clip per shot, each referencing the
// source file (ExternalReference) with the shot's frames as its source_range, so the clips laid end
// to end rebuild the source and any OTIO reader (DaVinci Resolve, Premiere through its adapter,
// otioview) places them on the source's timeline. The labels are in each clip's metadata (under
// "shotvl") and as a marker spanning the clip. Schema versions are the widely read ones of
// OpenTimelineIO 0.15-0.17 (Timeline.1, Stack.1, Track.1, Clip.2, ExternalReference.1, Marker.2,
// TimeRange.1, RationalTime.1); newer readers upgrade them.
import type { ExportClip, ExportShot } from './export-types.js';
import { frameToTimecode, timecodeRate } from './timecode.js';

interface RationalTime {
  OTIO_SCHEMA: 'RationalTime.1';
  rate: number;
  value: number;
}

interface TimeRange {
  OTIO_SCHEMA: 'TimeRange.1';
  start_time: RationalTime;
  duration: RationalTime;
}

function time(value: number, rate: number): RationalTime {
  return { OTIO_SCHEMA: 'RationalTime.1', rate, value };
}

function range(start: number, duration: number, rate: number): TimeRange {
  return { OTIO_SCHEMA: 'TimeRange.1', start_time: time(start, rate), duration: time(duration, rate) };
}

function clipOf(source: ExportClip, shot: ExportShot, rate: number) {
  const timecodes = timecodeRate(source.frameRate);
  const frames = shot.endFrame - shot.startFrame;
  const labels = Object.fromEntries(
    shot.labels.map((entry) => [entry.dimension, { label: entry.label, confidence: entry.confidence }]),
  );
  return {
    OTIO_SCHEMA: 'Clip.2',
    name: `${source.name} shot ${shot.index + 1}`,
    metadata: {
      shotvl: {
        index: shot.index,
        start_timecode: frameToTimecode(shot.startFrame, timecodes),
        end_timecode: frameToTimecode(shot.endFrame, timecodes),
        transition_in: shot.transitionIn,
        analysed_as: shot.still ? 'still' : 'video',
        labels,
        prompt_fragment: shot.promptFragment,
      },
    },
    source_range: range(shot.startFrame, frames, rate),
    effects: [],
    markers: [
      {
        OTIO_SCHEMA: 'Marker.2',
        name: shot.promptFragment === '' ? `Shot ${shot.index + 1}` : shot.promptFragment,
        metadata: { shotvl: { labels } },
        color: 'BLUE',
        // Marker ranges are in the clip's own (source) time.
        marked_range: range(shot.startFrame, frames, rate),
        comment: shot.labels.map((entry) => `${entry.dimension}: ${entry.label}`).join(', '),
      },
    ],
    enabled: true,
    media_references: {
      DEFAULT_MEDIA: {
        OTIO_SCHEMA: 'ExternalReference.1',
        name: source.name,
        metadata: {},
        available_range: range(0, source.frameCount, rate),
        available_image_bounds: null,
        target_url: source.targetUrl,
      },
    },
    active_media_reference_key: 'DEFAULT_MEDIA',
  };
}

/** The timeline as an object (JSON.stringify it, or use shotsToOtioJson). */
export function shotsToOtio(source: ExportClip) {
  // OTIO rates are numbers; 29.97 is written as 30000/1001 exactly as a float, like OTIO itself does.
  const rate = source.frameRate;
  return {
    OTIO_SCHEMA: 'Timeline.1',
    name: source.name,
    metadata: { shotvl: { source: source.targetUrl, frame_rate: rate, frames: source.frameCount } },
    global_start_time: time(0, rate),
    tracks: {
      OTIO_SCHEMA: 'Stack.1',
      name: 'tracks',
      metadata: {},
      source_range: null,
      effects: [],
      markers: [],
      enabled: true,
      children: [
        {
          OTIO_SCHEMA: 'Track.1',
          name: 'Shots',
          metadata: {},
          source_range: null,
          effects: [],
          markers: [],
          enabled: true,
          children: source.shots.map((shot) => clipOf(source, shot, rate)),
          kind: 'Video',
        },
      ],
    },
  };
}

export function shotsToOtioJson(source: ExportClip): string {
  return `${JSON.stringify(shotsToOtio(source), null, 2)}\n`;
}
