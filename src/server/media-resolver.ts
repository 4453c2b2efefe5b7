// The seam between the chat route and media fetching. The route finds every `image_url` /
// `video_url` in a request and asks a MediaResolver for its bytes; the SSRF-safe implementation
// (data: URLs, http(s) with address checks and pinned DNS, file:// under an allowed folder) lives in
// ./media/. Tests inject a fake that only decodes data: URLs.
//
// Contract:
// - `resolve` returns where the bytes are; it never decodes images or videos (the engine does).
// - It fails with a MediaFetchError (codes below) or a MediaError from src/media (e.g. a data URL
//   larger than the byte limit -> media_too_large). Any other error is treated as our bug (500).
// - It honours `signal`: when the client goes away the fetch stops and the promise rejects.
// - Sources it created on disk are handed back to `release` once the request is over.
import type { MediaSource } from '../runtime/engine/engine-api.js';
import { ShotvlError } from '../util/shotvl-error.js';

export type MediaKind = 'image' | 'video';

export interface MediaResolver {
  resolve(url: string, kind: MediaKind, signal: AbortSignal): Promise<MediaSource>;
  /** Frees what `resolve` created (spooled files); called once per resolved source, errors are logged. */
  release?(source: MediaSource): Promise<void>;
}

/**
 * Why a media URL could not be turned into bytes. Statuses are set by the error catalogue
 * (src/server/errors.ts):
 *
 *   invalid_media_url      400  not a URL we understand, or a malformed data: URL (bad base64)
 *   media_url_not_allowed  400  scheme refused, private/loopback/metadata address, file:// outside
 *                               --allowed-local-media-path, redirect to any of these
 *   media_fetch_failed     422  the remote answered with an error, refused the connection, too many redirects
 *   media_fetch_timeout    422  connect or total fetch time exceeded (422, not 408: see errors.ts)
 *   media_too_large        413  more bytes than the media byte limit
 */
export type MediaFetchErrorCode =
  'invalid_media_url' | 'media_url_not_allowed' | 'media_fetch_failed' | 'media_fetch_timeout' | 'media_too_large';

/** Its message is written for API users: never library text, never resolved IP addresses of private hosts. */
export class MediaFetchError extends ShotvlError<MediaFetchErrorCode> {}
