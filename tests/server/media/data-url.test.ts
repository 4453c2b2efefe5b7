import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { base64DecodedLengthLowerBound, decodeDataUrl } from '../../../src/server/media/data-url.js';
import { MediaFetchError } from '../../../src/server/media/media-fetch-errors.js';

const limits = { maxBytes: 1024, maxFrames: 4 };
const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const jpeg = (seed: number): Buffer => Buffer.from([0xff, 0xd8, 0xff, 0xe0, seed, seed + 1, 0xff, 0xd9]);

function reasonOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(MediaFetchError);
    return (error as MediaFetchError).reason;
  }
  return undefined;
}

describe('decodeDataUrl', () => {
  it('decodes an image data URL to bytes', () => {
    const source = decodeDataUrl(`data:image/png;base64,${png.toString('base64')}`, 'image', limits);
    expect(source.kind).toBe('bytes');
    expect(Buffer.from(source.kind === 'bytes' ? source.bytes : [])).toEqual(png);
  });

  it('accepts parameters and any letter case in the header', () => {
    const source = decodeDataUrl(`DATA:Image/PNG;name=shot.png;BASE64,${png.toString('base64')}`, 'image', limits);
    expect(source.kind).toBe('bytes');
  });

  it('decodes a video data URL to bytes', () => {
    const source = decodeDataUrl(
      `data:video/mp4;base64,${Buffer.from('....ftypisom').toString('base64')}`,
      'video',
      limits,
    );
    expect(source.kind).toBe('bytes');
  });

  it("parses vLLM's frame-list form into frames", () => {
    const frames = [jpeg(1), jpeg(2), jpeg(3)];
    const source = decodeDataUrl(
      `data:video/jpeg;base64,${frames.map((frame) => frame.toString('base64')).join(',')}`,
      'video',
      limits,
    );
    expect(source.kind).toBe('frames');
    expect(source.kind === 'frames' ? source.frames.map((frame) => Buffer.from(frame)) : []).toEqual(frames);
  });

  it('treats a single-frame video/jpeg URL as one frame', () => {
    const source = decodeDataUrl(`data:video/jpeg;base64,${jpeg(7).toString('base64')}`, 'video', limits);
    expect(source.kind === 'frames' ? source.frames.length : 0).toBe(1);
  });

  it.each([
    ['no comma', 'data:image/png;base64'],
    ['not base64-encoded', 'data:image/png,rawbytes'],
    ['no MIME type', `data:;base64,${png.toString('base64')}`],
    ['empty payload', 'data:image/png;base64,'],
    ['bad characters', 'data:image/png;base64,iVBO!!!='],
    ['missing padding', 'data:image/png;base64,iVBORw'],
    ['whitespace', 'data:image/png;base64,iVBO Rw0K'],
    ['a lone carriage return', 'data:image/png;base64,iVBO\rRw0K'],
    ['a tab', 'data:image/png;base64,iVBO\tRw0K'],
    ['URL-safe alphabet', 'data:image/png;base64,ab-_'],
    ['percent-encoding', 'data:image/png;base64,ab%2B'],
    ['padding in the middle', 'data:image/png;base64,ab==abcd'],
    ['non-canonical trailing bits', 'data:image/png;base64,YR=='],
    ['comma inside an image payload', `data:image/png;base64,${png.toString('base64')},${png.toString('base64')}`],
  ])('refuses %s as invalid_data_url', (_name, url) => {
    expect(reasonOf(() => decodeDataUrl(url, 'image', limits))).toBe('invalid_data_url');
  });

  it('accepts MIME-style line breaks (76-character lines, LF or CRLF), as base64.encodebytes writes them', () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, index) => (index * 37) % 256));
    const text = bytes.toString('base64');
    const lines = text.match(/.{1,76}/g) ?? [];
    for (const separator of ['\n', '\r\n']) {
      const url = `data:image/png;base64,${lines.join(separator)}${separator}`;
      const source = decodeDataUrl(url, 'image', limits);
      expect(source.kind === 'bytes' ? Buffer.from(source.bytes) : undefined).toEqual(bytes);
    }
    const frames = [jpeg(1), jpeg(2)].map(
      (frame) => `${frame.toString('base64').slice(0, 4)}\n${frame.toString('base64').slice(4)}`,
    );
    const source = decodeDataUrl(`data:video/jpeg;base64,${frames.join(',')}`, 'video', limits);
    expect(source.kind === 'frames' ? source.frames.length : 0).toBe(2);
  });

  it('refuses an empty frame in a frame list', () => {
    expect(
      reasonOf(() => decodeDataUrl(`data:video/jpeg;base64,${jpeg(1).toString('base64')},,`, 'video', limits)),
    ).toBe('invalid_data_url');
  });

  it.each([
    ['a video MIME type for an image', 'data:video/mp4;base64,AAAA', 'image'],
    ['a text MIME type for an image', 'data:text/plain;base64,AAAA', 'image'],
    ['octet-stream for an image', 'data:application/octet-stream;base64,AAAA', 'image'],
    ['an image MIME type for a video', 'data:image/png;base64,AAAA', 'video'],
    ['an SVG-looking trick', 'data:text/html;image/png;base64,AAAA', 'image'],
  ] as const)('refuses %s as unsupported_media_type', (_name, url, kind) => {
    expect(reasonOf(() => decodeDataUrl(url, kind, limits))).toBe('unsupported_media_type');
  });

  it('the wrong MIME type is a 400 under the invalid_media_url catalogue code', () => {
    try {
      decodeDataUrl('data:text/plain;base64,AAAA', 'image', limits);
    } catch (error) {
      expect((error as MediaFetchError).code).toBe('invalid_media_url');
      expect((error as MediaFetchError).status).toBe(400);
    }
  });

  it('refuses an oversize payload by its length, before validating or decoding it', () => {
    const decode = vi.spyOn(Buffer, 'from');
    try {
      // Not even valid base64: the size alone decides, and no byte is decoded.
      const url = `data:image/png;base64,${'!'.repeat(4 * 400)}`;
      expect(reasonOf(() => decodeDataUrl(url, 'image', limits))).toBe('media_too_large');
      expect(decode).not.toHaveBeenCalled();
    } finally {
      decode.mockRestore();
    }
  });

  it('accepts exactly the byte limit and refuses one byte more', () => {
    const exact = Buffer.alloc(limits.maxBytes, 7).toString('base64');
    const over = Buffer.alloc(limits.maxBytes + 1, 7).toString('base64');
    expect(decodeDataUrl(`data:image/png;base64,${exact}`, 'image', limits).kind).toBe('bytes');
    const error = (() => {
      try {
        decodeDataUrl(`data:image/png;base64,${over}`, 'image', limits);
      } catch (caught) {
        return caught as MediaFetchError;
      }
      return undefined;
    })();
    expect(error?.reason).toBe('media_too_large');
    expect(error?.status).toBe(413);
  });

  it('refuses a frame list over the byte limit in total, or with too many frames', () => {
    const frame = Buffer.alloc(400, 1).toString('base64');
    expect(
      reasonOf(() => decodeDataUrl(`data:video/jpeg;base64,${[frame, frame, frame].join(',')}`, 'video', limits)),
    ).toBe('media_too_large');
    const small = jpeg(1).toString('base64');
    expect(
      reasonOf(() => decodeDataUrl(`data:video/jpeg;base64,${new Array(5).fill(small).join(',')}`, 'video', limits)),
    ).toBe('media_too_large');
    expect(decodeDataUrl(`data:video/jpeg;base64,${new Array(4).fill(small).join(',')}`, 'video', limits).kind).toBe(
      'frames',
    );
  });

  it('counts frames without splitting a payload of many commas', () => {
    const url = `data:video/jpeg;base64,${','.repeat(100_000)}`;
    expect(reasonOf(() => decodeDataUrl(url, 'video', { maxBytes: 1024, maxFrames: 768 }))).toBe('media_too_large');
  });

  it('round-trips any bytes within the limit, and the length bound never overestimates (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        expect(base64DecodedLengthLowerBound(text.length)).toBeLessThanOrEqual(bytes.length);
        const url = `data:image/jpeg;base64,${text}`;
        if (bytes.length > limits.maxBytes) {
          expect(reasonOf(() => decodeDataUrl(url, 'image', limits))).toBe('media_too_large');
        } else {
          const source = decodeDataUrl(url, 'image', limits);
          expect(source.kind === 'bytes' ? Array.from(source.bytes) : []).toEqual(Array.from(bytes));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but MediaFetchError on arbitrary text (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('image', 'video') as fc.Arbitrary<'image' | 'video'>,
        (payload, kind) => {
          try {
            decodeDataUrl(`data:${payload}`, kind, limits);
          } catch (error) {
            expect(error).toBeInstanceOf(MediaFetchError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
