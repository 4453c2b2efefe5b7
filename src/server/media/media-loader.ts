// The MediaResolver the server uses (../media-resolver.ts): turns an `image_url` / `video_url` into a
// MediaSource. data: URLs are decoded in memory, http(s) URLs downloaded under the SSRF guard
// (http-media-fetch.ts), file: URLs allowed only under the configured folder (local-file-url.ts);
// every other scheme is refused. Downloads spooled to disk are removed by `release` (the route calls
// it once the request is over) or at the latest by `close` (server shutdown).
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { MediaSource } from '../../runtime/engine/engine-api.js';
import type { MediaKind, MediaResolver } from '../media-resolver.js';
import { decodeDataUrl } from './data-url.js';
import { fetchHttpMedia } from './http-media-fetch.js';
import type { HttpMediaFetchOptions } from './http-media-fetch.js';
import { allowPrivateAddresses, allowPublicAddressesOnly } from './ip-address-policy.js';
import type { AddressPolicy } from './ip-address-policy.js';
import { resolveLocalFileUrl } from './local-file-url.js';
import { MediaFetchError, quoteForMessage } from './media-fetch-errors.js';
import { mergeMediaFetchLimits } from './media-fetch-limits.js';
import type { MediaFetchLimits } from './media-fetch-limits.js';
import { systemResolver } from './pinned-lookup.js';
import type { HostResolver } from './pinned-lookup.js';

/** URLs other than data: longer than this are refused unparsed (browsers and CDNs stop near 8 KiB too). */
export const MAX_MEDIA_URL_LENGTH = 8192;

export interface MediaLoaderOptions {
  /** Overrides of the defaults in media-fetch-limits.ts. */
  limits?: Partial<MediaFetchLimits>;
  /** `--allow-private-media-urls`: allow loopback, private and link-local addresses. Default false. */
  allowPrivateAddresses?: boolean;
  /** Replaces the address policy entirely (tests allow their 127.0.0.1 server with it). */
  addressPolicy?: AddressPolicy;
  /** DNS; the system resolver by default. */
  resolver?: HostResolver;
  /** `--allowed-local-media-path`: the folder file: URLs may read from. Unset: file: URLs refused. */
  allowedLocalMediaPath?: string;
  /** Where downloads are spooled (a private folder per item is made inside). Default: the OS temp folder. */
  temporaryDirectory?: string;
  /** Extra certificate authorities trusted for https media URLs (a private CA; tests). */
  certificateAuthorities?: HttpMediaFetchOptions['certificateAuthorities'];
  /** Told each connection's URL and pinned address (debug logs; tests). */
  onConnection?: HttpMediaFetchOptions['onConnection'];
}

export class MediaLoader implements MediaResolver {
  readonly limits: MediaFetchLimits;
  private readonly fetchOptions: HttpMediaFetchOptions;
  private readonly allowedLocalMediaPath: string | undefined;
  /** Spooled files this loader made and has not yet removed: source -> its temporary folder. */
  private readonly spooled = new Map<MediaSource, string>();

  constructor(options: MediaLoaderOptions = {}) {
    this.limits = mergeMediaFetchLimits(options.limits);
    this.allowedLocalMediaPath = options.allowedLocalMediaPath;
    this.fetchOptions = {
      limits: this.limits,
      policy:
        options.addressPolicy ??
        (options.allowPrivateAddresses === true ? allowPrivateAddresses : allowPublicAddressesOnly),
      resolver: options.resolver ?? systemResolver,
      temporaryDirectory: options.temporaryDirectory ?? tmpdir(),
      certificateAuthorities: options.certificateAuthorities,
      onConnection: options.onConnection,
    };
  }

  /**
   * Where the media of `url` is. Rejects with MediaFetchError (see media-fetch-errors.ts), or with
   * `signal.reason` once `signal` aborts.
   */
  async resolve(url: string, kind: MediaKind, signal: AbortSignal): Promise<MediaSource> {
    if (signal.aborted) throw signal.reason;
    // data: URLs can be tens of megabytes: decoded straight from the string, never through URL parsing.
    if (url.slice(0, 5).toLowerCase() === 'data:') {
      return decodeDataUrl(url, kind, { maxBytes: this.limits.maxBytes, maxFrames: this.limits.maxDataUrlFrames });
    }
    if (url.length > MAX_MEDIA_URL_LENGTH) {
      throw new MediaFetchError(
        'invalid_media_url',
        `The media URL is longer than ${MAX_MEDIA_URL_LENGTH} characters.`,
      );
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      throw new MediaFetchError(
        'invalid_media_url',
        `The media URL ${quoteForMessage(url)} is not a valid absolute URL.`,
        { cause: error },
      );
    }
    if (parsed.protocol === 'file:')
      return resolveLocalFileUrl(parsed, this.allowedLocalMediaPath, this.limits.maxBytes);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new MediaFetchError(
        'unsupported_url_scheme',
        `Media URLs must use http, https or data, not ${quoteForMessage(parsed.protocol, 20)}.`,
      );
    }
    const body = await fetchHttpMedia(parsed, kind, this.fetchOptions, signal);
    if (body.temporaryFolder !== undefined) this.spooled.set(body.source, body.temporaryFolder);
    return body.source;
  }

  /** Removes the temporary file behind `source` if this loader spooled it; does nothing otherwise (user files are never touched). */
  async release(source: MediaSource): Promise<void> {
    const folder = this.spooled.get(source);
    if (folder === undefined) return;
    this.spooled.delete(source);
    await rm(folder, { recursive: true, force: true });
  }

  /** Removes every spooled file not yet released (server shutdown). */
  async close(): Promise<void> {
    const folders = [...this.spooled.values()];
    this.spooled.clear();
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  }

  /** Spooled files not yet released (for metrics and tests). */
  get pendingTemporaryFiles(): number {
    return this.spooled.size;
  }
}
