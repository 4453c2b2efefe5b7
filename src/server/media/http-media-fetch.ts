// Downloads of http(s) media URLs, written as the security checks they are (threat model: SSRF and
// resource exhaustion by URLs API users choose):
// - every hop is parsed and checked: http/https only, no userinfo, an IP-literal host checked against
//   the address policy, a DNS host checked inside the connection's lookup hook and pinned
//   (pinned-lookup.ts);
// - redirects are followed by hand, at most `maxRedirects`, never from https to http, never to another
//   scheme (a redirect to data: or file: is refused like any other unsupported scheme);
// - nothing from the environment: node:http ignores HTTP(S)_PROXY/NO_PROXY, a fresh agent per hop
//   (`agent: false`) shares no sockets, and the only headers sent are the ones written here — no
//   cookies, no credentials, no client headers passed through;
// - limits: connect timeout per hop (DNS + TCP + TLS), total timeout over all hops and the body,
//   Content-Length checked up front and the byte count on every chunk (media-body-sink.ts);
// - an AbortSignal (the HTTP request's) cancels everything and removes what was spooled.
import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { MediaKind } from '../media-resolver.js';
import type { AddressPolicy } from './ip-address-policy.js';
import { parseIpAddress } from './ip-address.js';
import { MediaBodySink } from './media-body-sink.js';
import type { SpooledBody } from './media-body-sink.js';
import { MediaFetchError, quoteForMessage } from './media-fetch-errors.js';
import type { MediaFetchLimits } from './media-fetch-limits.js';
import { createPinnedLookup, privateAddressRefused } from './pinned-lookup.js';
import type { HostResolver } from './pinned-lookup.js';

export interface HttpMediaFetchOptions {
  limits: MediaFetchLimits;
  policy: AddressPolicy;
  resolver: HostResolver;
  temporaryDirectory: string;
  /** Extra certificate authorities to trust (a private CA; tests). Node's bundled roots otherwise. */
  certificateAuthorities?: string | Buffer | Array<string | Buffer>;
  /** Told each connection's URL and the address it was pinned to (logs; tests). */
  onConnection?: (connection: { url: string; address: string }) => void;
}

export const MEDIA_FETCH_USER_AGENT = 'shotvl-server media fetcher';

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Host text for node:http and messages: WHATWG keeps IPv6 literals in brackets. */
function bareHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Checks one hop's URL before any connection: scheme, credentials, an IP-literal host. */
export function checkHttpUrl(url: URL, policy: AddressPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MediaFetchError(
      'unsupported_url_scheme',
      `Media URLs must use http, https or data, not ${quoteForMessage(url.protocol, 20)}.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new MediaFetchError('invalid_media_url', 'Media URLs must not contain credentials (user:password@).');
  }
  // node:net does not call the lookup hook for IP literals, so they are checked here.
  const host = bareHost(url);
  if (parseIpAddress(host) !== undefined && !policy(host)) throw privateAddressRefused(url.hostname);
}

/** The next hop of a redirect, checked for everything but its address (checked when it connects). */
export function nextHop(current: URL, location: string | undefined): URL {
  if (location === undefined || location === '') {
    throw new MediaFetchError(
      'media_fetch_failed',
      `The media server at ${quoteForMessage(current.hostname)} sent a redirect without a location.`,
    );
  }
  let next: URL;
  try {
    next = new URL(location, current);
  } catch (error) {
    throw new MediaFetchError('invalid_media_url', 'The media server sent a redirect to an invalid URL.', {
      cause: error,
    });
  }
  if (current.protocol === 'https:' && next.protocol === 'http:') {
    throw new MediaFetchError(
      'insecure_redirect_refused',
      'The media URL redirected from https to http; such redirects are refused.',
    );
  }
  next.hash = '';
  return next;
}

function timeoutError(what: 'connect' | 'total', url: URL, milliseconds: number): MediaFetchError {
  const phase = what === 'connect' ? 'Connecting to' : 'Downloading media from';
  return new MediaFetchError(
    'media_fetch_timeout',
    `${phase} ${quoteForMessage(url.hostname)} took longer than ${milliseconds} ms.`,
  );
}

/** Maps a socket, TLS or parser error to a message that shows no library text. */
function connectionFailed(url: URL, cause: unknown): MediaFetchError {
  const code = (cause as { code?: unknown } | null)?.code;
  const tls = typeof code === 'string' && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
  const what = tls ? 'The TLS handshake with' : 'Fetching media from';
  return new MediaFetchError('media_fetch_failed', `${what} ${quoteForMessage(url.hostname)} failed.`, { cause });
}

interface OpenedResponse {
  response: IncomingMessage;
  request: ClientRequest;
}

/** Sends a GET for one hop and waits for the response head, within the connect timeout. */
function openResponse(
  url: URL,
  kind: MediaKind,
  options: HttpMediaFetchOptions,
  signal: AbortSignal,
): Promise<OpenedResponse> {
  return new Promise((resolve, reject) => {
    const requestOptions: RequestOptions & { ca?: HttpMediaFetchOptions['certificateAuthorities'] } = {
      hostname: bareHost(url),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      headers: {
        accept: kind === 'image' ? 'image/*, */*;q=0.5' : 'video/*, */*;q=0.5',
        'accept-encoding': 'identity',
        'user-agent': MEDIA_FETCH_USER_AGENT,
      },
      agent: false,
      lookup: createPinnedLookup({ resolver: options.resolver, policy: options.policy }),
    };
    if (url.protocol === 'https:' && options.certificateAuthorities !== undefined)
      requestOptions.ca = options.certificateAuthorities;
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(requestOptions);

    const connectTimer = setTimeout(
      () => request.destroy(timeoutError('connect', url, options.limits.connectTimeoutMs)),
      options.limits.connectTimeoutMs,
    );
    const onAbort = (): void => {
      request.destroy(signal.reason instanceof Error ? signal.reason : undefined);
    };
    const settle = (): void => {
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    request.once('socket', (socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        clearTimeout(connectTimer);
        if (socket.remoteAddress !== undefined)
          options.onConnection?.({ url: url.href, address: socket.remoteAddress });
      });
    });
    request.once('response', (response) => {
      settle();
      // Errors while the body is read reach the reader through its iterator; this listener only
      // keeps a late one (after the body was read or given up) from becoming an uncaught exception.
      response.on('error', () => undefined);
      resolve({ response, request });
    });
    // `on`, not `once`: a socket can fail again after the first error or after the response; a
    // second rejection is a no-op, an unhandled 'error' event would crash the server.
    request.on('error', (error) => {
      settle();
      reject(error);
    });
    request.end();
  });
}

function checkContentLength(response: IncomingMessage, maxBytes: number): number | undefined {
  const header = response.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  if (!Number.isSafeInteger(length) || length < 0) return undefined;
  if (length > maxBytes)
    throw new MediaFetchError(
      'media_too_large',
      `The media is larger than the limit of ${maxBytes} bytes (by its Content-Length).`,
    );
  return length;
}

async function readBody(
  url: URL,
  opened: OpenedResponse,
  kind: MediaKind,
  options: HttpMediaFetchOptions,
  signal: AbortSignal,
): Promise<SpooledBody> {
  const { response, request } = opened;
  const sink = new MediaBodySink({
    maxBytes: options.limits.maxBytes,
    memoryThresholdBytes: options.limits.memoryThresholdBytes,
    alwaysSpool: kind === 'video',
    temporaryDirectory: options.temporaryDirectory,
  });
  const onAbort = (): void => {
    request.destroy(signal.reason instanceof Error ? signal.reason : undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const expected = checkContentLength(response, options.limits.maxBytes);
    for await (const chunk of response as AsyncIterable<Buffer>) await sink.write(chunk);
    if (signal.aborted) throw signal.reason;
    if (expected !== undefined && sink.byteCount !== expected) {
      throw new MediaFetchError(
        'media_fetch_failed',
        `The media server at ${quoteForMessage(url.hostname)} closed the connection before the body was complete.`,
      );
    }
    if (sink.byteCount === 0)
      throw new MediaFetchError(
        'media_fetch_failed',
        `The media URL at ${quoteForMessage(url.hostname)} returned an empty body.`,
      );
    return await sink.finish();
  } catch (error) {
    // Stop reading at once (the oversize case): destroying the request closes the socket.
    request.destroy();
    await sink.discard();
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Fetches an http(s) URL (redirects followed by hand) into memory or a temporary file. Throws
 * MediaFetchError, except that `signal` aborting rejects with `signal.reason` (as fetch does): the
 * caller decides what a cancel is.
 */
export async function fetchHttpMedia(
  url: URL,
  kind: MediaKind,
  options: HttpMediaFetchOptions,
  signal: AbortSignal,
): Promise<SpooledBody> {
  const controller = new AbortController();
  const abortedByCaller = (): void => controller.abort(signal.reason);
  if (signal.aborted) abortedByCaller();
  signal.addEventListener('abort', abortedByCaller, { once: true });
  const totalTimer = setTimeout(
    () => controller.abort(timeoutError('total', url, options.limits.totalTimeoutMs)),
    options.limits.totalTimeoutMs,
  );
  let current = url;
  try {
    for (let redirects = 0; ; redirects += 1) {
      if (controller.signal.aborted) throw controller.signal.reason;
      checkHttpUrl(current, options.policy);
      const opened = await openResponse(current, kind, options, controller.signal);
      const status = opened.response.statusCode ?? 0;
      if (REDIRECT_STATUSES.has(status)) {
        opened.request.destroy();
        if (redirects >= options.limits.maxRedirects) {
          throw new MediaFetchError(
            'too_many_redirects',
            `The media URL redirected more than ${options.limits.maxRedirects} times.`,
          );
        }
        current = nextHop(current, opened.response.headers.location);
        continue;
      }
      if (status < 200 || status > 299) {
        opened.request.destroy();
        throw new MediaFetchError(
          'media_fetch_failed',
          `The media URL at ${quoteForMessage(current.hostname)} returned HTTP ${status}.`,
        );
      }
      return await readBody(current, opened, kind, options, controller.signal);
    }
  } catch (error) {
    // The abort reason wins: a socket torn down by a timeout or a cancel reports as such.
    if (controller.signal.aborted) throw controller.signal.reason;
    if (error instanceof MediaFetchError) throw error;
    throw connectionFailed(current, error);
  } finally {
    clearTimeout(totalTimer);
    signal.removeEventListener('abort', abortedByCaller);
  }
}
