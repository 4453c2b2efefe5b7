import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { dataUrl, mediaTypeFromExtension, mediaTypeOf, sniffMediaType } from '../../../src/cli/bench/media-type.js';
import { requireFfmpeg } from '../../helpers/system-programs.js';

describe('media types', () => {
  it('sniffs the images sharp writes', async () => {
    const base = sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });
    expect(sniffMediaType(await base.clone().png().toBuffer())).toBe('image/png');
    expect(sniffMediaType(await base.clone().jpeg().toBuffer())).toBe('image/jpeg');
    expect(sniffMediaType(await base.clone().webp().toBuffer())).toBe('image/webp');
    expect(sniffMediaType(await base.clone().gif().toBuffer())).toBe('image/gif');
    expect(sniffMediaType(await base.clone().tiff().toBuffer())).toBe('image/tiff');
  });

  it('sniffs the videos ffmpeg writes', () => {
    const folder = mkdtempSync(join(tmpdir(), 'media-type-'));
    try {
      const expectations: [string, string][] = [
        ['clip.mp4', 'video/mp4'],
        ['clip.webm', 'video/webm'],
        ['clip.mkv', 'video/x-matroska'],
        ['clip.mov', 'video/quicktime'],
      ];
      for (const [name, type] of expectations) {
        const file = join(folder, name);
        execFileSync(requireFfmpeg(), [
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc=duration=0.2:size=32x32:rate=5',
          '-y',
          file,
        ]);
        expect({ name, type: sniffMediaType(readFileSync(file)) }).toEqual({ name, type });
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('trusts content over the extension and falls back to it', () => {
    const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
    expect(mediaTypeOf(png, 'frame.JPG', 'image')).toBe('image/png');
    expect(mediaTypeOf(Buffer.from('????'), 'image/x.JPG', 'image')).toBe('image/jpeg');
    expect(mediaTypeOf(Buffer.from('????'), 'video/x.webm_31.mp4', 'video')).toBe('video/mp4');
    expect(mediaTypeOf(Buffer.from('????'), 'noextension', 'video')).toBe('video/mp4');
    expect(mediaTypeFromExtension('a.mov')).toBe('video/quicktime');
  });

  it('writes base64 data URLs of exactly the bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252]).subarray(2, 5);
    expect(dataUrl('image/png', bytes)).toBe(`data:image/png;base64,${Buffer.from([2, 250, 251]).toString('base64')}`);
  });
});
