// The OTIO export checked against a strict JSON schema of the OTIO types it emits (field sets of
// OpenTimelineIO's serializers for Timeline.1, Stack.1, Track.1, Clip.2, ExternalReference.1,
// Marker.2, TimeRange.1, RationalTime.1; no other field allowed), after a JSON round trip.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { shotsToOtioJson } from '../../../src/shot/export/otio-export.js';
import { fixtureClip } from './fixture-clip.js';

const metadata = { type: 'object' };
const strict = (schema: string, properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  required: ['OTIO_SCHEMA', ...Object.keys(properties)],
  properties: { OTIO_SCHEMA: { const: schema }, ...properties },
});
const itemFields = {
  name: { type: 'string' },
  metadata,
  source_range: { anyOf: [{ $ref: '#/$defs/TimeRange' }, { type: 'null' }] },
  effects: { type: 'array', maxItems: 0 },
  markers: { type: 'array', items: { $ref: '#/$defs/Marker' } },
  enabled: { type: 'boolean' },
};
const otioSchema = {
  $ref: '#/$defs/Timeline',
  $defs: {
    RationalTime: strict('RationalTime.1', {
      rate: { type: 'number', exclusiveMinimum: 0 },
      value: { type: 'number' },
    }),
    TimeRange: strict('TimeRange.1', {
      start_time: { $ref: '#/$defs/RationalTime' },
      duration: { $ref: '#/$defs/RationalTime' },
    }),
    Marker: strict('Marker.2', {
      name: { type: 'string' },
      metadata,
      color: {
        enum: ['PINK', 'RED', 'ORANGE', 'YELLOW', 'GREEN', 'CYAN', 'BLUE', 'PURPLE', 'MAGENTA', 'BLACK', 'WHITE'],
      },
      marked_range: { $ref: '#/$defs/TimeRange' },
      comment: { type: 'string' },
    }),
    ExternalReference: strict('ExternalReference.1', {
      name: { type: 'string' },
      metadata,
      available_range: { $ref: '#/$defs/TimeRange' },
      available_image_bounds: { type: 'null' },
      target_url: { type: 'string', minLength: 1 },
    }),
    Clip: strict('Clip.2', {
      ...itemFields,
      source_range: { $ref: '#/$defs/TimeRange' },
      media_references: {
        type: 'object',
        properties: { DEFAULT_MEDIA: { $ref: '#/$defs/ExternalReference' } },
        additionalProperties: false,
        required: ['DEFAULT_MEDIA'],
      },
      active_media_reference_key: { const: 'DEFAULT_MEDIA' },
    }),
    Track: strict('Track.1', {
      ...itemFields,
      children: { type: 'array', items: { $ref: '#/$defs/Clip' } },
      kind: { enum: ['Video', 'Audio'] },
    }),
    Stack: strict('Stack.1', { ...itemFields, children: { type: 'array', items: { $ref: '#/$defs/Track' } } }),
    Timeline: strict('Timeline.1', {
      name: { type: 'string' },
      metadata,
      global_start_time: { anyOf: [{ $ref: '#/$defs/RationalTime' }, { type: 'null' }] },
      tracks: { $ref: '#/$defs/Stack' },
    }),
  },
};

interface OtioRangeJson {
  start_time: { value: number };
  duration: { value: number };
}
interface OtioClipJson {
  source_range: OtioRangeJson;
  media_references: { DEFAULT_MEDIA: { target_url: string } };
  markers: { marked_range: OtioRangeJson; comment: string }[];
  metadata: { shotvl: unknown };
}

describe('shotsToOtio', () => {
  const validate = new Ajv({ strict: true, allErrors: true }).compile(otioSchema);

  it('passes the strict schema of the OTIO types it uses', () => {
    const timeline = JSON.parse(shotsToOtioJson(fixtureClip())) as unknown;
    const valid = validate(timeline);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('lays the shots end to end over the source, with labels in metadata and markers', () => {
    const clip = fixtureClip(30000 / 1001, 300);
    const timeline = JSON.parse(shotsToOtioJson(clip)) as {
      tracks: { children: { children: OtioClipJson[] }[] };
    };
    const clips = timeline.tracks.children[0]!.children;
    expect(clips).toHaveLength(3);
    let next = 0;
    for (const entry of clips) {
      expect(entry.source_range.start_time).toEqual({ OTIO_SCHEMA: 'RationalTime.1', rate: 30000 / 1001, value: next });
      next += entry.source_range.duration.value;
      expect(entry.media_references.DEFAULT_MEDIA.target_url).toBe('file:///footage/reel%20one.mp4');
      expect(entry.markers[0]!.marked_range).toEqual(entry.source_range);
    }
    expect(next).toBe(300);
    expect(clips[1]!.metadata.shotvl).toMatchObject({
      start_timecode: '00:00:03;10',
      transition_in: 'cut',
      labels: { shot_size: { label: 'Close Up', confidence: 0.8125 } },
      prompt_fragment: 'close-up',
    });
    expect(clips[1]!.markers[0]!.comment).toBe('shot_size: Close Up, camera_angle: Eye Level');
  });

  it('the schema rejects what OTIO would not read', () => {
    const timeline = JSON.parse(shotsToOtioJson(fixtureClip())) as {
      tracks: { children: { children: { OTIO_SCHEMA: string; extra?: number }[] }[] };
    };
    timeline.tracks.children[0]!.children[0]!.OTIO_SCHEMA = 'Clip.1';
    expect(validate(timeline)).toBe(false);
    timeline.tracks.children[0]!.children[0]!.OTIO_SCHEMA = 'Clip.2';
    timeline.tracks.children[0]!.children[0]!.extra = 1;
    expect(validate(timeline)).toBe(false);
  });
});
