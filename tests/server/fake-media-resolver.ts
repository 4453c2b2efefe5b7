// A MediaResolver for tests: decodes data: URLs (including vLLM's frame lists for videos) and
// simulates the failures of the real fetcher for a few reserved hosts, without any network:
//   http(s)://10.*, 127.*, 169.254.*, localhost   -> media_url_not_allowed
//   https://missing.example/...                   -> media_fetch_failed
//   https://slow.example/...                      -> waits for the abort signal (or times out)
import { setTimeout as sleep } from 'node:timers/promises';
import { MediaTooLargeError } from '../../src/media/media-errors.js';
import type { MediaSource } from '../../src/runtime/engine/engine-api.js';
import { MediaFetchError, type MediaKind, type MediaResolver } from '../../src/server/media-resolver.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !BASE64.test(text))
    throw new MediaFetchError('invalid_media_url', 'The data URL is not valid base64.');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export class FakeMediaResolver implements MediaResolver {
  readonly resolved: { url: string; kind: MediaKind }[] = [];
  readonly released: MediaSource[] = [];
  aborted = 0;

  constructor(private readonly maxBytes = 1024 * 1024) {}

  async resolve(url: string, kind: MediaKind, signal: AbortSignal): Promise<MediaSource> {
    this.resolved.push({ url: url.slice(0, 80), kind });
    const data = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(url);
    if (data !== null) {
      if (data[2] === undefined) throw new MediaFetchError('invalid_media_url', 'Only base64 data URLs are supported.');
      const payload = data[3] ?? '';
      if (payload.length > (this.maxBytes * 4) / 3 + 4)
        throw new MediaTooLargeError(`The media item is larger than ${this.maxBytes} bytes.`);
      if (kind === 'video' && data[1] === 'video/jpeg' && payload.includes(',')) {
        return { kind: 'frames', frames: payload.split(',').map(decodeBase64) };
      }
      return { kind: 'bytes', bytes: decodeBase64(payload) };
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MediaFetchError('invalid_media_url', 'The media URL is not a valid URL.');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new MediaFetchError('media_url_not_allowed', `The scheme ${parsed.protocol} is not allowed.`);
    if (/^(10\.|127\.|169\.254\.|localhost$|\[::1\]$)/.test(parsed.hostname)) {
      throw new MediaFetchError('media_url_not_allowed', 'The media URL points to a private or loopback address.');
    }
    if (parsed.hostname === 'missing.example')
      throw new MediaFetchError('media_fetch_failed', 'The media URL answered with HTTP 404.');
    if (parsed.hostname === 'slow.example') {
      try {
        await sleep(2000, undefined, { signal });
      } catch {
        this.aborted += 1;
        throw new MediaFetchError('media_fetch_timeout', 'Fetching the media URL was aborted.');
      }
      throw new MediaFetchError('media_fetch_timeout', 'Fetching the media URL took longer than 2 seconds.');
    }
    throw new MediaFetchError('media_fetch_failed', 'This test resolver fetches nothing from the network.');
  }

  async release(source: MediaSource): Promise<void> {
    this.released.push(source);
  }
}
