import { describe, expect, it } from 'vitest';
import type { ShotAnalysis } from '../../../web/src/analysis/analysis-types.js';
import { CSV_COLUMNS, OTIO_RATE, toCsv, toJson, toOtio } from '../../../web/src/analysis/export-formats.js';

const dimension = (label: string, confidence: number) => ({
  label,
  confidence,
  distribution: { [label]: confidence, other: 1 - confidence },
  letter: 'A',
});

const analysis: ShotAnalysis = {
  id: 'shot-1',
  model: 'tiny',
  mode: 'fast',
  media: { kind: 'video', width: 64, height: 64, frames: 10, duration_seconds: 3, tokens: 40 },
  dimensions: { shot_size: dimension('Wide', 0.7), camera_movement: dimension('Pan left', 0.6) },
  prompt_fragment: 'wide shot, camera pans left',
  usage: {
    requests: 2,
    prompt_tokens: 10,
    completion_tokens: 2,
    total_tokens: 12,
    prompt_tokens_details: { cached_tokens: 5 },
  },
  timings: { media_ms: 1, inference_ms: 2, total_ms: 3 },
};

const withShots: ShotAnalysis = {
  ...analysis,
  shots: [
    {
      index: 0,
      start: 0,
      end: 1.5,
      start_timecode: '00:00:00.000',
      end_timecode: '00:00:01.500',
      transition_in: null,
      dimensions: { shot_size: dimension('Close Up', 0.8) },
      prompt_fragment: 'close-up, "quoted", with comma',
    },
    {
      index: 1,
      start: 2,
      end: 3,
      transition_in: 'cut',
      dimensions: { shot_size: dimension('Wide', 0.9) },
      prompt_fragment: 'wide shot',
    },
  ],
};

interface OtioItem {
  OTIO_SCHEMA: string;
  name: string;
  source_range: { start_time: { value: number; rate: number }; duration: { value: number } };
  metadata: { shotvl?: { dimensions: Record<string, { label: string }>; transition_in?: string } };
}

function items(text: string): OtioItem[] {
  const timeline = JSON.parse(text) as { OTIO_SCHEMA: string; tracks: { children: { children: OtioItem[] }[] } };
  expect(timeline.OTIO_SCHEMA).toBe('Timeline.1');
  return timeline.tracks.children[0]!.children;
}

describe('exports', () => {
  it('JSON is the response itself', () => {
    expect(JSON.parse(toJson(withShots))).toEqual(withShots);
  });

  it('CSV has one row per dimension of the clip, or per shot and dimension, quoted as RFC 4180 says', () => {
    const clipLines = toCsv(analysis).split('\r\n');
    expect(clipLines[0]).toBe(CSV_COLUMNS.join(','));
    expect(clipLines.slice(1, -1)).toEqual([
      ',0,3,,,shot_size,Wide,0.7,"wide shot, camera pans left"',
      ',0,3,,,camera_movement,Pan left,0.6,"wide shot, camera pans left"',
    ]);
    const shotLines = toCsv(withShots).split('\r\n');
    expect(shotLines.slice(1, -1)).toEqual([
      '0,0,1.5,00:00:00.000,00:00:01.500,shot_size,Close Up,0.8,"close-up, ""quoted"", with comma"',
      '1,2,3,,,shot_size,Wide,0.9,wide shot',
    ]);
  });

  it('OTIO has a clip per shot at the shot times, a gap where shots leave a hole, labels in metadata', () => {
    const children = items(toOtio(withShots, 'reel.mp4'));
    expect(children.map((child) => child.OTIO_SCHEMA)).toEqual(['Clip.2', 'Gap.1', 'Clip.2']);
    const [first, gap, second] = children as [OtioItem, OtioItem, OtioItem];
    expect(first.name).toBe('reel.mp4 shot 1');
    expect(first.source_range.start_time).toMatchObject({ value: 0, rate: OTIO_RATE });
    expect(first.source_range.duration.value).toBe(1.5 * OTIO_RATE);
    expect(gap.source_range.duration.value).toBe(0.5 * OTIO_RATE);
    expect(second.source_range.start_time.value).toBe(2 * OTIO_RATE);
    expect(second.metadata.shotvl).toMatchObject({
      dimensions: { shot_size: { label: 'Wide' } },
      transition_in: 'cut',
    });
  });

  it('OTIO without shots is one clip over the whole media', () => {
    const children = items(toOtio(analysis, 'clip.mp4'));
    expect(children).toHaveLength(1);
    expect(children[0]!.source_range.duration.value).toBe(3 * OTIO_RATE);
    expect(children[0]!.metadata.shotvl?.dimensions.camera_movement?.label).toBe('Pan left');
  });
});
