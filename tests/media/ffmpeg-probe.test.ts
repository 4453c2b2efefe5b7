import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  countVideoPackets,
  parseFfprobeOutput,
  parseRational,
  probeVideoFile,
  streamRotation,
} from '../../src/media/ffmpeg-probe.js';
import { decodeSelectedFrames, selectExpression } from '../../src/media/ffmpeg-decode.js';
import { MediaError } from '../../src/media/media-errors.js';
import { sniffVideoContainer } from '../../src/media/video-container.js';
import { decodeAllFrames, makeVideoFixtures, type VideoFixtures } from './video-fixtures.js';

const probeOptions = { ffprobePath: 'ffprobe', timeoutMs: 20_000 };

describe('parseFfprobeOutput', () => {
  const stream = {
    index: 0,
    codec_type: 'video',
    codec_name: 'h264',
    width: 1920,
    height: 1080,
    avg_frame_rate: '30000/1001',
    r_frame_rate: '30000/1001',
    nb_frames: '300',
    duration: '10.010000',
  };

  it('reads size, rate, count and duration', () => {
    const probe = parseFfprobeOutput(
      { streams: [stream], format: { format_name: 'mov,mp4', duration: '10.02' } },
      'mp4',
    );
    expect(probe).toMatchObject({
      width: 1920,
      height: 1080,
      rotation: 0,
      frameRate: 30000 / 1001,
      declaredFrameCount: 300,
      durationSeconds: 10.01,
    });
  });

  it('swaps width and height for a quarter-turn display matrix or rotate tag', () => {
    const viaMatrix = parseFfprobeOutput(
      { streams: [{ ...stream, side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] }] },
      'mp4',
    );
    expect([viaMatrix.width, viaMatrix.height, viaMatrix.rotation]).toEqual([1080, 1920, 270]);
    const viaTag = parseFfprobeOutput({ streams: [{ ...stream, tags: { rotate: '180' } }] }, 'mp4');
    expect([viaTag.width, viaTag.height, viaTag.rotation]).toEqual([1920, 1080, 180]);
  });

  it('falls back to r_frame_rate, format duration, and leaves the count open when undeclared', () => {
    const probe = parseFfprobeOutput(
      {
        streams: [
          { ...stream, avg_frame_rate: '0/0', r_frame_rate: '25/1', nb_frames: undefined, duration: undefined },
        ],
        format: { duration: '4.0' },
      },
      'matroska',
    );
    expect(probe).toMatchObject({ frameRate: 25, durationSeconds: 4, declaredFrameCount: undefined });
  });

  it('skips cover art and audio, and says when no video stream is left', () => {
    const cover = { ...stream, disposition: { attached_pic: 1 } };
    const audio = { index: 1, codec_type: 'audio', codec_name: 'aac' };
    expect(() => parseFfprobeOutput({ streams: [cover, audio] }, 'mp4')).toThrow(/no video stream/);
    expect(parseFfprobeOutput({ streams: [audio, { ...stream, index: 2 }] }, 'mp4').streamIndex).toBe(2);
  });

  it('never throws anything but a MediaError on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.record({
          width: fc.jsonValue(),
          height: fc.jsonValue(),
          avg_frame_rate: fc.jsonValue(),
          nb_frames: fc.jsonValue(),
        }),
        (value, fields) => {
          for (const input of [value, { streams: [{ codec_type: 'video', ...fields }], format: value }]) {
            try {
              const probe = parseFfprobeOutput(input, 'mp4');
              if (!(probe.width > 0 && probe.height > 0 && probe.frameRate > 0 && probe.durationSeconds > 0))
                return false;
            } catch (error) {
              if (!(error instanceof MediaError)) return false;
            }
          }
          return true;
        },
      ),
    );
  });

  it('parses rationals and rotations strictly', () => {
    expect(parseRational('30000/1001')).toBeCloseTo(29.97, 2);
    expect(parseRational('0/0')).toBeUndefined();
    expect(parseRational('1e9/x')).toBeUndefined();
    expect(streamRotation({ side_data_list: [{ rotation: 90.0001 }] })).toBe(90);
    expect(streamRotation({ tags: { rotate: '-90' } })).toBe(270);
  });
});

describe('sniffVideoContainer', () => {
  it('recognises the allowed containers and nothing else', () => {
    const bytes = (...values: number[]) => Uint8Array.from(values);
    expect(sniffVideoContainer(bytes(0, 0, 0, 0x20, ...Buffer.from('ftypisom')))).toBe('mp4');
    expect(sniffVideoContainer(bytes(0x1a, 0x45, 0xdf, 0xa3))).toBe('matroska');
    expect(sniffVideoContainer(Buffer.from('RIFF\0\0\0\0AVI LIST'))).toBe('avi');
    expect(sniffVideoContainer(Buffer.from('#EXTM3U\n#EXT-X-VERSION:3\n'))).toBeUndefined();
    expect(sniffVideoContainer(Buffer.from('ffconcat version 1.0\nfile /etc/passwd\n'))).toBeUndefined();
    expect(sniffVideoContainer(new Uint8Array(0))).toBeUndefined();
  });
});

describe('ffprobe and frame selection on real files', () => {
  let fixtures: VideoFixtures;
  beforeAll(async () => {
    fixtures = await makeVideoFixtures();
  });
  afterAll(async () => {
    await fixtures?.remove();
  });

  it('probes a 320x240, 25 fps, 50-frame MP4', async () => {
    const probe = await probeVideoFile(`file:${fixtures.clip}`, 'mp4', probeOptions);
    expect(probe).toMatchObject({
      container: 'mp4',
      codecName: 'h264',
      width: 320,
      height: 240,
      rotation: 0,
      frameRate: 25,
      declaredFrameCount: 50,
    });
    expect(probe.durationSeconds).toBeCloseTo(2, 5);
  });

  it('reports the rotated display size', async () => {
    const probe = await probeVideoFile(`file:${fixtures.rotated}`, 'mp4', probeOptions);
    expect([probe.width, probe.height, probe.codedWidth, probe.codedHeight]).toEqual([240, 320, 320, 240]);
    expect([90, 270]).toContain(probe.rotation);
  });

  it('counts packets when Matroska declares no frame count', async () => {
    const probe = await probeVideoFile(`file:${fixtures.matroska}`, 'matroska', probeOptions);
    expect(probe.declaredFrameCount).toBeUndefined();
    expect(await countVideoPackets(`file:${fixtures.matroska}`, probe, probeOptions)).toBe(50);
  });

  it('decodes exactly the selected frames, in presentation order, despite B-frames', async () => {
    const probe = await probeVideoFile(`file:${fixtures.clip}`, 'mp4', probeOptions);
    const all = await decodeAllFrames(fixtures.clip, 320, 240);
    expect(all).toHaveLength(50);
    const indices = [0, 1, 7, 7, 8, 30, 49];
    const received: [number, Uint8Array][] = [];
    await decodeSelectedFrames(
      `file:${fixtures.clip}`,
      probe,
      indices,
      (position, rgb) => received.push([position, rgb.slice()]),
      {
        ffmpegPath: 'ffmpeg',
        timeoutMs: 20_000,
      },
    );
    expect(received.map(([position]) => position)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    received.forEach(([position, rgb]) => expect(Buffer.compare(rgb, all[indices[position]!]!)).toBe(0));
    // Neighbouring frames differ (testsrc moves), so a shifted selection would have been caught.
    expect(Buffer.compare(all[7]!, all[8]!)).not.toBe(0);
  });

  it('builds the select filter as a balanced sum with escaped commas and no duplicates', () => {
    expect(selectExpression([3, 0, 3, 12])).toBe('(eq(n\\,0)+(eq(n\\,3)+eq(n\\,12)))');
    expect(selectExpression([5])).toBe('eq(n\\,5)');
    expect(() => selectExpression([-1])).toThrow(RangeError);
    expect(() => selectExpression([])).toThrow(RangeError);
    // 768 terms (FPS_MAX_FRAMES) nest only 10 deep: ffmpeg refuses flat sums of more than 100.
    const deep = selectExpression(Array.from({ length: 768 }, (_, i) => i * 3));
    let depth = 0;
    let deepest = 0;
    for (const character of deep) {
      if (character === '(') deepest = Math.max(deepest, (depth += 1));
      if (character === ')') depth -= 1;
    }
    expect(deepest).toBeLessThanOrEqual(11); // 10 levels of sums + the eq( call
  });

  it('selects more than 100 frames in one pass', async () => {
    const probe = await probeVideoFile(`file:${fixtures.large}`, 'mp4', probeOptions);
    const indices = Array.from({ length: 125 }, (_, i) => i * 2);
    let delivered = 0;
    await decodeSelectedFrames(`file:${fixtures.large}`, probe, indices, () => (delivered += 1), {
      ffmpegPath: 'ffmpeg',
      timeoutMs: 20_000,
    });
    expect(delivered).toBe(125);
  });
});
