import { describe, expect, it } from 'vitest';
import { frameToTimecode, timecodeRate, timecodeToFrame } from '../../../src/shot/export/timecode.js';

describe('timecodes', () => {
  it('counts whole-rate frames directly', () => {
    expect(frameToTimecode(0, timecodeRate(25))).toBe('00:00:00:00');
    expect(frameToTimecode(25 * 3661 + 7, timecodeRate(25))).toBe('01:01:01:07');
    expect(frameToTimecode(24 * 60 + 23, timecodeRate(24))).toBe('00:01:00:23');
    // 23.976 runs at 24 without dropping.
    expect(timecodeRate(24000 / 1001)).toMatchObject({ base: 24, dropFrame: false });
  });

  it('drops frame numbers at 29.97 and 59.94 as SMPTE 12M does', () => {
    const ntsc = timecodeRate(30000 / 1001);
    expect(ntsc).toMatchObject({ base: 30, dropFrame: true });
    expect(frameToTimecode(1799, ntsc)).toBe('00:00:59;29');
    expect(frameToTimecode(1800, ntsc)).toBe('00:01:00;02');
    expect(frameToTimecode(17981, ntsc)).toBe('00:09:59;29');
    expect(frameToTimecode(17982, ntsc)).toBe('00:10:00;00');
    // One hour of 29.97 video is 107,892 frames and reads 01:00:00;00.
    expect(frameToTimecode(107892, ntsc)).toBe('01:00:00;00');
    const ntsc60 = timecodeRate(60000 / 1001);
    expect(frameToTimecode(3600, ntsc60)).toBe('00:01:00;04');
    expect(timecodeRate(30)).toMatchObject({ dropFrame: false });
  });

  it('reads back every timecode it writes', () => {
    for (const fps of [24, 25, 30000 / 1001, 60000 / 1001]) {
      const rate = timecodeRate(fps);
      const seen = new Set<string>();
      const wrong: number[] = [];
      for (let frame = 0; frame < 40000; frame += 7) {
        const timecode = frameToTimecode(frame, rate);
        if (seen.has(timecode) || timecodeToFrame(timecode, rate) !== frame) wrong.push(frame);
        seen.add(timecode);
      }
      expect(wrong).toEqual([]);
    }
  });
});
