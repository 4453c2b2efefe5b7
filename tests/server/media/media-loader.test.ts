// The MediaLoader's dispatch over URL kinds, its agreement with the HTTP error catalogue, and the
// guarantee that whatever string arrives, only a MediaFetchError comes back.
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../../src/server/errors.js';
import { MediaFetchError as ResolverMediaFetchError } from '../../../src/server/media-resolver.js';
import type { MediaResolver } from '../../../src/server/media-resolver.js';
import { MEDIA_FETCH_REASONS, MediaFetchError } from '../../../src/server/media/media-fetch-errors.js';
import { DEFAULT_MEDIA_FETCH_LIMITS, mergeMediaFetchLimits } from '../../../src/server/media/media-fetch-limits.js';
import { MAX_MEDIA_URL_LENGTH, MediaLoader } from '../../../src/server/media/media-loader.js';
import { never, reasonOf, tableResolver } from './loader-fixtures.js';

let folder: string;

beforeAll(async () => {
  folder = await realpath(await mkdtemp(join(tmpdir(), 'shotvl-media-loader-test-')));
  await mkdir(join(folder, 'media'));
  await writeFile(join(folder, 'media', 'shot.png'), 'png bytes');
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('MediaLoader.resolve', () => {
  const loader: MediaResolver = new MediaLoader({ resolver: tableResolver({}) });

  it('decodes data: URLs, in any letter case, to bytes or frames', async () => {
    expect(await loader.resolve('data:image/png;base64,cG5n', 'image', never)).toEqual({
      kind: 'bytes',
      bytes: new Uint8Array(Buffer.from('png')),
    });
    expect((await loader.resolve('DATA:image/png;base64,cG5n', 'image', never)).kind).toBe('bytes');
    expect(await loader.resolve('data:video/jpeg;base64,AQI=,AwQ=', 'video', never)).toEqual({
      kind: 'frames',
      frames: [new Uint8Array([1, 2]), new Uint8Array([3, 4])],
    });
  });

  it.each([
    'ftp://example.com/a.png',
    'gopher://example.com/',
    'javascript:alert(1)',
    'blob:https://example.com/uuid',
    'ws://example.com/',
    'mailto:a@example.com',
  ])('refuses %s as an unsupported scheme', async (url) => {
    expect(await reasonOf(loader.resolve(url, 'image', never))).toBe('unsupported_url_scheme');
  });

  it.each(['', 'image.png', '/etc/passwd', 'http://', 'http://exa mple.com/'])(
    'refuses %j as an invalid URL',
    async (url) => {
      expect(await reasonOf(loader.resolve(url, 'image', never))).toBe('invalid_media_url');
    },
  );

  it('refuses URLs longer than the limit before parsing them', async () => {
    expect(
      await reasonOf(loader.resolve(`https://example.com/${'a'.repeat(MAX_MEDIA_URL_LENGTH)}`, 'image', never)),
    ).toBe('invalid_media_url');
  });

  it('refuses file: URLs unless a local media path is allowed', async () => {
    const url = pathToFileURL(join(folder, 'media', 'shot.png')).href;
    expect(await reasonOf(loader.resolve(url, 'image', never))).toBe('local_path_refused');
    const allowing = new MediaLoader({ allowedLocalMediaPath: join(folder, 'media') });
    const source = await allowing.resolve(url, 'image', never);
    expect(source).toEqual({ kind: 'file', path: join(folder, 'media', 'shot.png') });
    // release never deletes a user's file, only what the loader spooled itself.
    await allowing.release(source);
    expect(await readFile(join(folder, 'media', 'shot.png'), 'utf8')).toBe('png bytes');
  });

  it('rejects with the signal reason when already aborted, even for data: URLs', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(loader.resolve('data:image/png;base64,cG5n', 'image', controller.signal)).rejects.toThrow('gone');
  });

  it('only ever rejects with MediaFetchError, whatever the URL (property; nothing may connect)', async () => {
    const refuseAll = new MediaLoader({
      addressPolicy: () => false,
      resolver: tableResolver({}),
      limits: { connectTimeoutMs: 500 },
    });
    const urls = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ maxLength: 80 }),
      fc
        .constantFrom('data:', 'file:', 'http:', 'https:')
        .chain((scheme) => fc.string({ maxLength: 60 }).map((rest) => `${scheme}${rest}`)),
    );
    await fc.assert(
      fc.asyncProperty(
        urls,
        fc.constantFrom('image', 'video') as fc.Arbitrary<'image' | 'video'>,
        async (url, kind) => {
          const outcome = await refuseAll.resolve(url, kind, never).then(
            () => undefined,
            (error: unknown) => error,
          );
          if (outcome !== undefined) expect(outcome).toBeInstanceOf(MediaFetchError);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('errors and the HTTP catalogue', () => {
  it('every reason maps to a catalogue code with the catalogue status, and is the seam class', () => {
    for (const [reason, { code, status }] of Object.entries(MEDIA_FETCH_REASONS)) {
      expect(ERROR_CATALOGUE[code].status, reason).toBe(status);
      const error = new MediaFetchError(reason as keyof typeof MEDIA_FETCH_REASONS, 'message');
      expect(error).toBeInstanceOf(ResolverMediaFetchError);
      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
    }
  });
});

describe('mergeMediaFetchLimits', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_MEDIA_FETCH_LIMITS).toEqual({
      maxBytes: 64 * 1024 * 1024,
      connectTimeoutMs: 10_000,
      totalTimeoutMs: 60_000,
      maxRedirects: 3,
      memoryThresholdBytes: 8 * 1024 * 1024,
      maxDataUrlFrames: 768,
    });
  });

  it('overrides, allows zero where it means none, and freezes', () => {
    const limits = mergeMediaFetchLimits({
      maxBytes: 10,
      maxRedirects: 0,
      memoryThresholdBytes: 0,
      totalTimeoutMs: undefined,
    });
    expect(limits).toMatchObject({ maxBytes: 10, maxRedirects: 0, memoryThresholdBytes: 0, totalTimeoutMs: 60_000 });
    expect(Object.isFrozen(limits)).toBe(true);
  });

  it.each([
    { maxBytes: 0 },
    { connectTimeoutMs: -1 },
    { totalTimeoutMs: 1.5 },
    { maxRedirects: Number.NaN },
    { maxBytes: Infinity },
    { unknown: 1 } as object,
  ])('refuses %j', (overrides) => {
    expect(() => mergeMediaFetchLimits(overrides)).toThrow(/media fetch limit/i);
  });
});
