// Downloads one file of a hub repository with resume and verification. Bytes go to
// `<file>.incomplete`; an interrupted transfer keeps it, and the next attempt (in this run or a
// later one) asks for the rest with `Range: bytes=N-`. A server that ignores the range (200 instead
// of 206) gets the file rewritten from the start. When complete, size and SHA-256 are checked
// against what the hub announced, and only then is the file renamed to its final name, so a file
// with the final name is always whole.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ProgressReporter } from '../util/progress.js';
import { HubError } from './hub-error.js';
import { hubGet, statusError } from './hub-http.js';
import type { HubClient, HubResponse } from './hub-http.js';

export interface RemoteFile {
  /** Path inside the repository (already checked to stay inside the target folder). */
  path: string;
  /** Size from the listing, when known. */
  size: number | undefined;
  /** SHA-256 of an LFS file from the listing, when known. */
  sha256: string | undefined;
}

export interface FileTarget {
  repoId: string;
  /** Commit (or revision) the file is resolved at. */
  revision: string;
  file: RemoteFile;
  /** Final path on disk. */
  destination: string;
}

async function sizeOf(path: string): Promise<number | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? info.size : undefined;
}

async function hashExisting(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

function resolveUrl(client: HubClient, target: FileTarget): URL {
  const path = target.file.path.split('/').map(encodeURIComponent).join('/');
  return new URL(
    `${client.endpoint.href.replace(/\/$/, '')}/${target.repoId}/resolve/${encodeURIComponent(target.revision)}/${path}`,
  );
}

/** Parses `Content-Range: bytes start-end/total` (total may be `*`). */
function parseContentRange(value: string | null): { start: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (match === null) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

interface Expectation {
  size: number | undefined;
  sha256: string | undefined;
}

/**
 * One request: resumes from the partial file when there is one, appends the body, and returns the
 * size and SHA-256 the file should have. Throws a retryable HubError when the transfer breaks.
 */
async function transfer(
  client: HubClient,
  target: FileTarget,
  partial: string,
  report: (bytesOnDisk: number) => void,
): Promise<Expectation> {
  const what = `${target.repoId}/${target.file.path}`;
  let existing = (await sizeOf(partial)) ?? 0;
  if (target.file.size !== undefined && existing > target.file.size) {
    await rm(partial, { force: true });
    existing = 0;
  }
  const answered: HubResponse = await hubGet(
    client,
    resolveUrl(client, target),
    existing > 0 ? { range: `bytes=${existing}-` } : {},
  );
  const { response } = answered;
  const expected: Expectation = {
    size: target.file.size ?? answered.linkedSize,
    sha256: target.file.sha256 ?? answered.linkedSha256,
  };
  if (response.status === 416 && existing > 0) {
    await response.body?.cancel();
    // The partial file already has every byte: verify it as is.
    if (expected.size === existing) {
      report(existing);
      return expected;
    }
    await rm(partial, { force: true });
    throw new HubError(
      'hub_interrupted',
      `${what}: the server rejected the resume offset ${existing}; starting over`,
      true,
      416,
    );
  }
  if (response.status !== 200 && response.status !== 206)
    throw await statusError(client, answered, target.repoId, what);
  let offset = 0;
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range === undefined || range.start !== existing) {
      await response.body?.cancel();
      await rm(partial, { force: true });
      throw new HubError(
        'hub_response_invalid',
        `${what}: partial response starts at the wrong offset (${response.headers.get('content-range')})`,
        true,
        206,
      );
    }
    offset = existing;
    expected.size ??= range.total;
  } else {
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    if (expected.size === undefined && Number.isSafeInteger(length)) expected.size = length;
  }
  const handle = await open(partial, offset > 0 ? 'a' : 'w');
  let onDisk = offset;
  report(onDisk);
  try {
    if (response.body === null) throw new HubError('hub_response_invalid', `${what}: response has no body`, true);
    for await (const chunk of response.body) {
      await handle.write(chunk);
      onDisk += chunk.byteLength;
      report(onDisk);
    }
    await handle.sync();
  } catch (error) {
    if (client.signal?.aborted) throw client.signal.reason;
    if (error instanceof HubError) throw error;
    const written = (await handle.stat()).size;
    throw new HubError(
      'hub_interrupted',
      `${what}: transfer interrupted after ${written} bytes (${(error as Error).message}); the next attempt resumes`,
      true,
    );
  } finally {
    await handle.close();
  }
  return expected;
}

async function verify(target: FileTarget, partial: string, expected: Expectation): Promise<void> {
  const what = `${target.repoId}/${target.file.path}`;
  const size = (await sizeOf(partial)) ?? 0;
  if (expected.size !== undefined && size < expected.size) {
    throw new HubError(
      'hub_interrupted',
      `${what}: transfer ended early at ${size} of ${expected.size} bytes; the next attempt resumes`,
      true,
    );
  }
  if (expected.size !== undefined && size > expected.size) {
    await rm(partial, { force: true });
    throw new HubError(
      'hub_integrity',
      `${what}: received ${size} bytes, the hub announced ${expected.size}; the partial file was deleted`,
      true,
    );
  }
  if (expected.sha256 !== undefined) {
    // Hashing after the transfer (rather than while streaming) also covers bytes from earlier runs.
    const hash = createHash('sha256');
    await hashExisting(partial, hash);
    const actual = hash.digest('hex');
    if (actual !== expected.sha256) {
      await rm(partial, { force: true });
      throw new HubError(
        'hub_integrity',
        `${what}: SHA-256 ${actual} does not match the hub's ${expected.sha256}; the partial file was deleted`,
        true,
      );
    }
  }
}

/**
 * Downloads `target` unless a complete file is already there. Retryable failures are retried up to
 * `attempts` times, each attempt resuming what the previous one left.
 */
export async function downloadHubFile(
  client: HubClient,
  target: FileTarget,
  progress: ProgressReporter,
  attempts: number,
): Promise<'downloaded' | 'present'> {
  const existing = await sizeOf(target.destination);
  if (existing !== undefined && (target.file.size === undefined || existing === target.file.size)) {
    progress.advance(existing);
    return 'present';
  }
  await mkdir(dirname(target.destination), { recursive: true });
  const partial = `${target.destination}.incomplete`;
  // Progress shows this file's bytes on disk: it moves back when a partial file is discarded.
  let counted = 0;
  const report = (bytesOnDisk: number) => {
    progress.advance(bytesOnDisk - counted);
    counted = bytesOnDisk;
  };
  for (let attempt = 1; ; attempt += 1) {
    try {
      const expected = await transfer(client, target, partial, report);
      await verify(target, partial, expected);
      await rename(partial, target.destination);
      return 'downloaded';
    } catch (error) {
      report((await sizeOf(partial)) ?? 0);
      if (!(error instanceof HubError) || !error.retryable || attempt >= attempts) throw error;
    }
  }
}
