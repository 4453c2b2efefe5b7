// HTTP requests to the Hugging Face Hub. Redirects are followed by hand so that the token is sent
// only to the hub's own origin: large files redirect to a CDN on another host (with signed URLs),
// and a bearer token must not travel there. The hub's own headers (X-Linked-Etag, X-Linked-Size:
// the SHA-256 and size of an LFS file) are read from the first response, before any redirect.
import { HubError } from './hub-error.js';

/** huggingface_hub gives up after a handful of hops as well; more means a loop. */
export const MAX_REDIRECTS = 10;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface HubClient {
  /** Hub base URL, no trailing slash. */
  endpoint: URL;
  token: string | undefined;
  fetch: typeof fetch;
  signal: AbortSignal | undefined;
}

export interface HubResponse {
  response: Response;
  /** URL of the final response (after redirects). */
  url: URL;
  /** X-Linked-Etag of the hub's response: the SHA-256 of an LFS file. */
  linkedSha256: string | undefined;
  /** X-Linked-Size of the hub's response: the size of an LFS file. */
  linkedSize: number | undefined;
}

function unquoteEtag(value: string | null): string | undefined {
  if (value === null) return undefined;
  const bare = value.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(bare) ? bare : undefined;
}

/** Turns a network-level failure of fetch into an error that says what to do offline. */
export function unreachableError(client: HubClient, url: URL, error: unknown): HubError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return new HubError(
    'hub_unreachable',
    `cannot reach the Hugging Face Hub at ${client.endpoint.origin} (${reason} while fetching ${url.pathname}). ` +
      'Without network access, download the checkpoint elsewhere (e.g. `huggingface-cli download <repo> --local-dir <folder>`) ' +
      'and pass that local folder instead of a repository id, or set HF_ENDPOINT to a reachable mirror.',
  );
}

/**
 * GETs `url`, following redirects by hand (at most {@link MAX_REDIRECTS}). Authorization goes only
 * to the hub's origin; a redirect from https to http is refused.
 */
export async function hubGet(
  client: HubClient,
  url: URL,
  extraHeaders: Record<string, string> = {},
): Promise<HubResponse> {
  let current = url;
  let linkedSha256: string | undefined;
  let linkedSize: number | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
    // identity: a compressed body would not match Content-Length, Range offsets or the SHA-256.
    const headers: Record<string, string> = {
      'accept-encoding': 'identity',
      'user-agent': 'shotvl-server',
      ...extraHeaders,
    };
    if (client.token !== undefined && current.origin === client.endpoint.origin)
      headers.authorization = `Bearer ${client.token}`;
    let response: Response;
    try {
      response = await client.fetch(current, { headers, redirect: 'manual', signal: client.signal });
    } catch (error) {
      if (client.signal?.aborted) throw client.signal.reason;
      throw unreachableError(client, current, error);
    }
    if (current.origin === client.endpoint.origin) {
      linkedSha256 ??= unquoteEtag(response.headers.get('x-linked-etag'));
      const size = Number(response.headers.get('x-linked-size') ?? Number.NaN);
      if (linkedSize === undefined && Number.isSafeInteger(size) && size >= 0) linkedSize = size;
    }
    if (!REDIRECT_STATUSES.has(response.status)) return { response, url: current, linkedSha256, linkedSize };
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (location === null)
      throw new HubError(
        'hub_response_invalid',
        `redirect without a Location header from ${current.origin}${current.pathname}`,
      );
    const next = new URL(location, current);
    if (next.protocol !== 'https:' && next.protocol !== 'http:')
      throw new HubError('hub_response_invalid', `redirect to unsupported URL scheme ${next.protocol}`);
    if (current.protocol === 'https:' && next.protocol === 'http:') {
      throw new HubError(
        'hub_response_invalid',
        `refusing redirect from https to plain http (${next.origin}) while fetching ${url.pathname}`,
      );
    }
    current = next;
  }
  throw new HubError('hub_response_invalid', `more than ${MAX_REDIRECTS} redirects while fetching ${url.pathname}`);
}

/** What the hub says went wrong, from its X-Error-Code / X-Error-Message headers. */
function hubErrorDetail(response: Response): { code: string | null; message: string | null } {
  return { code: response.headers.get('x-error-code'), message: response.headers.get('x-error-message') };
}

/**
 * Maps a failed response to a HubError naming `what` (a repository or a file). 401 and 403 explain
 * HF_TOKEN and gated models; 5xx and 429 are retryable.
 */
export async function statusError(
  client: HubClient,
  answered: HubResponse,
  repoId: string,
  what: string,
): Promise<HubError> {
  const { response, url } = answered;
  await response.body?.cancel().catch(() => undefined);
  const status = response.status;
  if (url.origin !== client.endpoint.origin) {
    // The file host after a redirect (a CDN with signed URLs): a 403 there is an expired
    // signature, not a missing token, and a fresh request to the hub gets a fresh URL.
    return new HubError(
      'hub_http_error',
      `${what}: the file host ${url.origin} answered HTTP ${status}`,
      status === 403 || status === 429 || status >= 500,
      status,
    );
  }
  const { code, message } = hubErrorDetail(response);
  const detail = message === null ? '' : ` (hub says: ${message})`;
  const page = `${client.endpoint.origin}/${repoId}`;
  if (status === 401) {
    const hint =
      client.token === undefined
        ? `If it is private or gated, create a read token at ${client.endpoint.origin}/settings/tokens and set HF_TOKEN.`
        : 'The token in HF_TOKEN was rejected: check that it is valid and has read access.';
    return new HubError(
      'hub_unauthorized',
      `${what}: access denied (401): the repository is private, gated or does not exist${detail}. ${hint}`,
      false,
      status,
    );
  }
  if (status === 403) {
    const gated =
      code === 'GatedRepo'
        ? `it is gated: accept its conditions at ${page} with the account of your token, then`
        : 'your token has no access to it:';
    return new HubError(
      'hub_forbidden',
      `${what}: access forbidden (403)${detail}; ${gated} set HF_TOKEN to a token with read access.`,
      false,
      status,
    );
  }
  if (status === 404) {
    const kind =
      code === 'RevisionNotFound'
        ? 'revision not found'
        : code === 'EntryNotFound'
          ? 'file not found'
          : code === 'RepoNotFound'
            ? 'repository not found'
            : 'not found';
    return new HubError('hub_not_found', `${what}: ${kind} (404) on ${client.endpoint.origin}${detail}`, false, status);
  }
  const retryable = status === 429 || status >= 500;
  return new HubError('hub_http_error', `${what}: the hub answered HTTP ${status}${detail}`, retryable, status);
}
