// One shot of a longer clip: sampling over a frame range follows the qwen-vl-utils rules within the
// range only, and the settings (hence the content hash) tell two shots of one file apart.
import { describe, expect, it } from 'vitest';
import { InvalidMediaOptionsError } from '../../src/media/media-errors.js';
import { resolveMediaSettings } from '../../src/media/preprocess-media.js';
import { planVideoSampling } from '../../src/media/video-frame-sampling.js';

const stream = { totalFrames: 250, videoFps: 25, width: 320, height: 180 };

describe('frame ranges', () => {
  it('samples only the frames of the range, counted like a clip of that length', () => {
    const plan = planVideoSampling({ fps: 12, frameRange: { start: 100, end: 150 } }, stream);
    expect(plan.range).toEqual({ start: 100, end: 149, count: 50 });
    // 50 frames at 25 fps = 2 s; at 12 fps: 24 frames.
    expect(plan.frameCount).toBe(24);
    expect(plan.frameIndices[0]).toBe(100);
    expect(plan.frameIndices.at(-1)).toBe(149);
    expect(plan.frameIndices.every((index) => index >= 100 && index < 150)).toBe(true);
  });

  it('refuses empty or mixed ranges', () => {
    expect(() => planVideoSampling({ frameRange: { start: 10, end: 10 } }, stream)).toThrow(InvalidMediaOptionsError);
    expect(() => planVideoSampling({ frameRange: { start: 0, end: 10 }, videoStart: 1 }, stream)).toThrow(
      InvalidMediaOptionsError,
    );
  });

  it('is part of the settings of a video, and refused for images and frame lists', () => {
    const file = { kind: 'file', path: '/x.mp4' } as const;
    const a = resolveMediaSettings({ type: 'video', source: file, options: { frameRange: { start: 0, end: 10 } } });
    expect(a.frameRange).toEqual({ start: 0, end: 10 });
    expect(resolveMediaSettings({ type: 'video', source: file }).frameRange).toBeUndefined();
    expect(() =>
      resolveMediaSettings({ type: 'image', source: file, options: { frameRange: { start: 0, end: 10 } } }),
    ).toThrow(InvalidMediaOptionsError);
  });
});
