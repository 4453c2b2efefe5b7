// A three-shot clip with labels, shared by the export tests.
import type { ExportClip } from '../../../src/shot/export/export-types.js';

export function fixtureClip(frameRate = 25, frameCount = 150): ExportClip {
  const third = Math.floor(frameCount / 3);
  return {
    name: 'reel "one", take 2.mp4',
    targetUrl: 'file:///footage/reel%20one.mp4',
    frameRate,
    frameCount,
    shots: [
      {
        index: 0,
        startFrame: 0,
        endFrame: third,
        transitionIn: null,
        promptFragment: 'wide shot, eye level',
        still: false,
      },
      {
        index: 1,
        startFrame: third,
        endFrame: 2 * third,
        transitionIn: 'cut',
        promptFragment: 'close-up',
        still: false,
      },
      {
        index: 2,
        startFrame: 2 * third,
        endFrame: frameCount,
        transitionIn: 'dissolve',
        promptFragment: '',
        still: true,
      },
    ].map((shot) => ({
      ...shot,
      labels: [
        { dimension: 'shot_size', label: shot.index === 1 ? 'Close Up' : 'Wide', confidence: 0.8125 },
        { dimension: 'camera_angle', label: 'Eye Level', confidence: 0.5 },
      ],
    })),
  } as ExportClip;
}
