// /analyze-shot with segment "auto" over the FakeEngine: the resolved media is released however the
// request ends (also when turning it into a video file fails, before detection), and a data URL's
// temporary copy goes under --upload-dir, not the system temporary folder.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MediaItem } from '../../../../src/runtime/engine/engine-api.js';
import { makeShotClip } from '../../../helpers/shot-clips.js';
import { createTestApp, FRAMES_DATA_URL, type TestApp } from '../../test-app.js';

let folder: string;
let clipUrl: string;
let current: TestApp | undefined;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'shotvl-segment-cleanup-'));
  const clip = join(folder, 'one-shot.mp4');
  await makeShotClip(clip, {
    rate: '8',
    width: 64,
    height: 36,
    shots: [{ source: 'testsrc2', frames: 8 }],
    transitions: [],
  });
  clipUrl = `data:video/mp4;base64,${(await readFile(clip)).toString('base64')}`;
}, 60_000);

afterEach(async () => {
  await current?.app.close();
  current = undefined;
});

afterAll(async () => {
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

function setup(argv: string[] = []): TestApp {
  current = createTestApp({ argv });
  return current;
}

describe('/analyze-shot segment auto: temporary media', () => {
  it('releases the resolved media when it cannot become a video file (a frame list)', async () => {
    const test = setup();
    const response = await test.app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: { video_url: FRAMES_DATA_URL, segment: 'auto' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'invalid_request', param: 'segment' });
    expect(test.resolver.released).toHaveLength(1);
    expect(test.resolver.released[0]!.kind).toBe('frames');
  });

  it('releases the resolved media when the temporary copy cannot be written', async () => {
    const test = setup(['--upload-dir', join(folder, 'missing', 'spool')]);
    const response = await test.app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: { video_url: clipUrl, segment: 'auto' },
    });
    expect(response.statusCode).toBe(500);
    expect(test.resolver.released).toHaveLength(1);
    expect(test.engine.requests).toHaveLength(0);
  });

  it('writes a data URL video under --upload-dir and removes it afterwards', async () => {
    const spool = await mkdtemp(join(folder, 'spool-'));
    const test = setup(['--upload-dir', spool]);
    const response = await test.app.inject({
      method: 'POST',
      url: '/analyze-shot',
      payload: { video_url: clipUrl, segment: 'auto', dimensions: ['shot_size'] },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ object: 'shot.segmentation', shots: [{ analysed_as: 'video' }] });
    expect(test.engine.requests).toHaveLength(1);
    const part = (test.engine.requests[0]!.messages[1]!.content as MediaItem[])[0]!;
    expect(part.source.kind).toBe('file');
    const path = (part.source as { path: string }).path;
    expect(path.startsWith(join(spool, 'shotvl-segment-'))).toBe(true);
    expect(await readdir(spool)).toEqual([]);
    expect(test.resolver.released).toHaveLength(1);
  }, 30_000);
});
