// Issue 17: a video's token count follows from its probed metadata and the sampling rules, so one
// that can never fit the context is refused before any frame is decoded: ffprobe runs, the ffmpeg
// decode does not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidMediaOptionsError } from '../../src/media/media-errors.js';
import { mergeMediaLimits } from '../../src/media/media-limits.js';
import { preprocessVideoFile } from '../../src/media/video-preprocess.js';
import { makeTestVideo } from '../helpers/test-video.js';

let folder = '';
let video = '';

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'shotvl-video-tokens-'));
  video = join(folder, 'clip.mp4');
  makeTestVideo(video, { size: '320x240', seconds: 2 });
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('video token budget', () => {
  it('refuses a clip over the token budget before decoding a frame', async () => {
    const allowed: number[] = [];
    const ok = await preprocessVideoFile(video, { fps: 2 }, { onProcessSpawn: (pid) => allowed.push(pid) });
    const tokens = (ok.gridThw[0] * ok.gridThw[1] * ok.gridThw[2]) / 4;
    const refused: number[] = [];
    const limits = mergeMediaLimits({ maxVideoTokens: tokens - 1 });
    const error = await preprocessVideoFile(
      video,
      { fps: 2 },
      { limits, onProcessSpawn: (pid) => refused.push(pid) },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidMediaOptionsError);
    expect((error as Error).message).toMatch(new RegExp(`would take ${tokens} tokens`));
    // The same clip within budget runs one more process: the decode that the refusal skipped.
    expect(refused.length).toBe(allowed.length - 1);
    const exact = await preprocessVideoFile(
      video,
      { fps: 2 },
      { limits: mergeMediaLimits({ maxVideoTokens: tokens }) },
    );
    expect(exact.gridThw).toEqual(ok.gridThw);
  });
});
