// A local stand-in for the Hugging Face Hub's URL layout, on two origins like the real thing: the
// hub (listing API, /resolve/ URLs) and a file host the hub redirects LFS files to (with Range
// support). Behaviours tests need (interrupted transfers, ignored ranges, corrupt bytes, auth)
// are switches on the object.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  content: Uint8Array;
  /** LFS files are served by the file host through a 302 with X-Linked-Etag / X-Linked-Size. */
  lfs?: boolean;
}

export interface FakeRepository {
  commit: string;
  files: Record<string, FakeFile>;
  /** Token required for this repository (401 without it, 403 with another). */
  token?: string;
  gated?: boolean;
}

export interface RecordedRequest {
  host: 'hub' | 'files';
  path: string;
  authorization: string | undefined;
  range: string | undefined;
}

export class FakeHub {
  readonly repositories = new Map<string, FakeRepository>();
  readonly requests: RecordedRequest[] = [];
  /** The next N file-host responses stop after this many body bytes and drop the connection. */
  cutAfterBytes: number | undefined;
  cutsRemaining = 0;
  ignoreRange = false;
  /** Files that the listing names but /resolve/ answers 404 for. */
  readonly missingOnResolve = new Set<string>();
  corruptFileHost = false;
  private hub: Server | undefined;
  private files: Server | undefined;

  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub!.address() as AddressInfo).port}`;
  }

  get fileHost(): string {
    return `http://127.0.0.1:${(this.files!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    this.hub = createServer((request, response) => this.serveHub(request, response));
    this.files = createServer((request, response) => this.serveFile(request, response));
    await Promise.all(
      [this.hub, this.files].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))),
    );
  }

  async stop(): Promise<void> {
    for (const server of [this.hub, this.files]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    }
  }

  requestsTo(host: 'hub' | 'files', pathPart: string): RecordedRequest[] {
    return this.requests.filter((request) => request.host === host && request.path.includes(pathPart));
  }

  private record(host: 'hub' | 'files', request: IncomingMessage): void {
    this.requests.push({
      host,
      path: request.url ?? '',
      authorization: request.headers.authorization,
      range: request.headers.range,
    });
  }

  private refuse(repository: FakeRepository, request: IncomingMessage, response: ServerResponse): boolean {
    if (repository.token === undefined) return false;
    const authorization = request.headers.authorization;
    if (authorization === `Bearer ${repository.token}`) return false;
    if (authorization === undefined) {
      response
        .writeHead(401, { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Invalid username or password.' })
        .end();
    } else {
      response
        .writeHead(
          403,
          repository.gated ? { 'x-error-code': 'GatedRepo', 'x-error-message': 'Access to model is restricted.' } : {},
        )
        .end();
    }
    return true;
  }

  private serveHub(request: IncomingMessage, response: ServerResponse): void {
    this.record('hub', request);
    const url = new URL(request.url ?? '/', this.endpoint);
    const listing = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repoId = listing?.[1] ?? resolve?.[1];
    const repository = repoId === undefined ? undefined : this.repositories.get(repoId);
    if (repository === undefined) {
      response.writeHead(404, { 'x-error-code': 'RepoNotFound', 'x-error-message': 'Repository not found' }).end();
      return;
    }
    if (this.refuse(repository, request, response)) return;
    if (listing !== null) {
      const siblings = Object.entries(repository.files).map(([path, file]) => ({
        rfilename: path,
        size: file.content.byteLength,
        ...(file.lfs ? { lfs: { sha256: sha256(file.content), size: file.content.byteLength, pointerSize: 134 } } : {}),
      }));
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ id: repoId, sha: repository.commit, siblings }));
      return;
    }
    const path = decodeURIComponent(resolve![3]!);
    const file = repository.files[path];
    if (
      file === undefined ||
      this.missingOnResolve.has(path) ||
      decodeURIComponent(resolve![2]!) !== repository.commit
    ) {
      response
        .writeHead(404, {
          'x-error-code': 'EntryNotFound',
          'x-error-message': `${path} does not exist on "${resolve![2]}"`,
        })
        .end();
      return;
    }
    if (file.lfs) {
      response
        .writeHead(302, {
          location: `${this.fileHost}/blobs/${repoId}/${encodeURIComponent(path)}?signature=abc`,
          'x-linked-etag': `"${sha256(file.content)}"`,
          'x-linked-size': String(file.content.byteLength),
        })
        .end();
      return;
    }
    // Small files: a relative redirect within the hub first (as for renamed repositories), then the bytes.
    if (url.searchParams.get('hop') === null) {
      response.writeHead(307, { location: `${url.pathname}?hop=1` }).end();
      return;
    }
    response.writeHead(200, { 'content-length': String(file.content.byteLength) }).end(file.content);
  }

  private serveFile(request: IncomingMessage, response: ServerResponse): void {
    this.record('files', request);
    const match = /^\/blobs\/([^/]+\/[^/]+)\/([^?]+)/.exec(request.url ?? '');
    const file = match === null ? undefined : this.repositories.get(match[1]!)?.files[decodeURIComponent(match[2]!)];
    if (file === undefined) {
      response.writeHead(404).end();
      return;
    }
    let content = file.content;
    if (this.corruptFileHost) {
      content = content.slice();
      content[content.length - 1]! ^= 0xff;
    }
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    let start = 0;
    if (range !== null && !this.ignoreRange) {
      start = Number(range[1]);
      if (start >= content.byteLength) {
        response.writeHead(416, { 'content-range': `bytes */${content.byteLength}` }).end();
        return;
      }
      response.writeHead(206, {
        'content-range': `bytes ${start}-${content.byteLength - 1}/${content.byteLength}`,
        'content-length': String(content.byteLength - start),
      });
    } else {
      response.writeHead(200, { 'content-length': String(content.byteLength) });
    }
    const body = content.subarray(start);
    if (this.cutAfterBytes !== undefined && this.cutsRemaining > 0) {
      this.cutsRemaining -= 1;
      // Send part of the body, then drop the connection as a failing network would.
      response.write(body.subarray(0, this.cutAfterBytes), () => setTimeout(() => response.destroy(), 20));
      return;
    }
    response.end(body);
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic pseudo-random bytes (a counter hashed), so content mix-ups are visible. */
export function patternBytes(length: number, salt: string): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let block = 0; block * 32 < length; block += 1) {
    const digest = createHash('sha256').update(`${salt}:${block}`).digest();
    bytes.set(digest.subarray(0, Math.min(32, length - block * 32)), block * 32);
  }
  return bytes;
}
