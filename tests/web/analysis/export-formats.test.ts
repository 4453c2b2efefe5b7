// The page's exports go through the server's exporters (src/shot/export, tested there); this checks
// the translation of both response kinds into their clip description.
import { describe, expect, it } from 'vitest';
import type { ShotAnalysis, ShotSegmentation } from '../../../web/src/analysis/analysis-types.js';
import { EXPORT_FORMATS, exportClip, FALLBACK_FRAME_RATE } from '../../../web/src/analysis/export-formats.js';

const dimension = (label: string, confidence: number) => ({
  label,
  confidence,
  distribution: { [label]: confidence, other: 1 - confidence },
  letter: 'A',
});
const usage = {
  requests: 2,
  prompt_tokens: 10,
  completion_tokens: 2,
  total_tokens: 12,
  prompt_tokens_details: { cached_tokens: 5 },
};
const timings = { media_ms: 1, inference_ms: 2, total_ms: 3 };
const media = { kind: 'video' as const, width: 64, height: 64, frames: 10, duration_seconds: 3, tokens: 40 };

const single: ShotAnalysis = {
  id: 'shot-1',
  object: 'shot.analysis',
  model: 'tiny',
  mode: 'fast',
  media,
  dimensions: { camera_movement: dimension('Pan left', 0.6), shot_size: dimension('Wide', 0.7) },
  prompt_fragment: 'wide shot, camera pans left',
  usage,
  timings,
};

const shot = (index: number, startFrame: number, endFrame: number, transition: 'cut' | null, label: string) => ({
  index,
  start: startFrame / 25,
  end: endFrame / 25,
  start_frame: startFrame,
  end_frame: endFrame,
  start_timecode: '',
  end_timecode: '',
  transition_in: transition,
  analysed_as: 'video' as const,
  media,
  dimensions: { shot_size: dimension(label, 0.8) },
  prompt_fragment: `${label.toLowerCase()} shot`,
  usage,
});

const segmented: ShotSegmentation = {
  id: 'shot-2',
  object: 'shot.segmentation',
  model: 'tiny',
  mode: 'fast',
  clip: { frame_rate: 25, frames: 75, duration_seconds: 3, width: 64, height: 64 },
  shots: [shot(0, 0, 40, null, 'Close Up'), shot(1, 40, 75, 'cut', 'Wide')],
  usage,
  timings,
};

describe('exports of the page', () => {
  it('turn a single analysis into one shot at the fallback rate, labels in display order', () => {
    const clip = exportClip(single, 'folder/reel.mp4');
    expect(clip).toMatchObject({ name: 'reel.mp4', targetUrl: 'folder/reel.mp4', frameRate: FALLBACK_FRAME_RATE });
    expect(clip.frameCount).toBe(3 * FALLBACK_FRAME_RATE);
    expect(clip.shots).toEqual([
      {
        index: 0,
        startFrame: 0,
        endFrame: 3 * FALLBACK_FRAME_RATE,
        transitionIn: null,
        labels: [
          { dimension: 'shot_size', label: 'Wide', confidence: 0.7 },
          { dimension: 'camera_movement', label: 'Pan left', confidence: 0.6 },
        ],
        promptFragment: 'wide shot, camera pans left',
        still: false,
      },
    ]);
  });

  it("turn a segmentation into its shots at the clip's frame rate", () => {
    const clip = exportClip(segmented, 'reel.mp4');
    expect([clip.frameRate, clip.frameCount]).toEqual([25, 75]);
    expect(clip.shots.map((entry) => [entry.startFrame, entry.endFrame, entry.transitionIn])).toEqual([
      [0, 40, null],
      [40, 75, 'cut'],
    ]);
  });

  it('render JSON, CSV, OTIO and EDL', () => {
    const [json, csv, otio, edl] = EXPORT_FORMATS.map((format) => format.render(segmented, 'reel.mp4'));
    expect(JSON.parse(json!)).toEqual(segmented);
    expect(csv!.split('\r\n')).toHaveLength(4);
    const timeline = JSON.parse(otio!) as { tracks: { children: { children: { source_range: unknown }[] }[] } };
    expect(timeline.tracks.children[0]!.children).toHaveLength(2);
    expect(edl).toContain('001  AX');
    expect(EXPORT_FORMATS.map((format) => format.render(single, 'reel.mp4')).every((text) => text.length > 0)).toBe(
      true,
    );
  });
});
