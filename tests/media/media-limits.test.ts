import { describe, expect, it } from 'vitest';
import { DEFAULT_MEDIA_LIMITS, mergeMediaLimits } from '../../src/media/media-limits.js';
import {
  InvalidMediaOptionsError,
  MEDIA_ERROR_CODES,
  MediaError,
  MediaTooLargeError,
} from '../../src/media/media-errors.js';

describe('mergeMediaLimits', () => {
  it('keeps the documented defaults', () => {
    expect(DEFAULT_MEDIA_LIMITS).toMatchObject({
      maxInputBytes: 64 * 1024 * 1024,
      maxAspectRatio: 200,
      maxVideoFrames: 768,
      maxImagePixels: 89_478_485,
    });
    expect(Object.isFrozen(DEFAULT_MEDIA_LIMITS)).toBe(true);
  });

  it('overrides only the given keys and freezes the result', () => {
    const limits = mergeMediaLimits({ maxInputBytes: 1000, ffmpegTimeoutMs: undefined });
    expect(limits.maxInputBytes).toBe(1000);
    expect(limits.ffmpegTimeoutMs).toBe(DEFAULT_MEDIA_LIMITS.ffmpegTimeoutMs);
    expect(Object.isFrozen(limits)).toBe(true);
    expect(mergeMediaLimits({ maxVideoFrames: 10 }, limits)).toMatchObject({ maxInputBytes: 1000, maxVideoFrames: 10 });
  });

  it('rejects non-positive, non-integer counts and unknown keys', () => {
    expect(() => mergeMediaLimits({ maxInputBytes: 0 })).toThrow(InvalidMediaOptionsError);
    expect(() => mergeMediaLimits({ maxImagePixels: Number.POSITIVE_INFINITY })).toThrow(InvalidMediaOptionsError);
    expect(() => mergeMediaLimits({ maxVideoFrames: 1.5 })).toThrow(InvalidMediaOptionsError);
    expect(() => mergeMediaLimits({ maxAspectRatio: 0.5 })).toThrow(InvalidMediaOptionsError);
    expect(() => mergeMediaLimits({ maxFrames: 3 } as never)).toThrow(InvalidMediaOptionsError);
  });
});

describe('MediaError', () => {
  it('carries a stable code and keeps the library error only as cause', () => {
    const cause = new Error('vips_image_new: libvips internal text');
    const error = new MediaTooLargeError('The image is too large.', { cause });
    expect(error).toBeInstanceOf(MediaError);
    expect(error.code).toBe('media_too_large');
    expect(error.message).not.toContain('vips');
    expect(error.cause).toBe(cause);
    expect(MEDIA_ERROR_CODES).toContain(error.code);
  });
});
