// Shared pieces of the media loader tests: an address policy that lets the tests' own 127.0.0.1
// servers through (and nothing else private), a table resolver for made-up host names, a private
// temporary folder per test file, and a helper that returns the MediaFetchError reason of a rejection.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { AddressPolicy } from '../../../src/server/media/ip-address-policy.js';
import { allowPublicAddressesOnly } from '../../../src/server/media/ip-address-policy.js';
import { MediaFetchError } from '../../../src/server/media/media-fetch-errors.js';
import { MediaLoader } from '../../../src/server/media/media-loader.js';
import type { MediaLoaderOptions } from '../../../src/server/media/media-loader.js';
import type { HostResolver, ResolvedAddress } from '../../../src/server/media/pinned-lookup.js';

/** Test-only: public addresses plus exactly 127.0.0.1 (so 127.0.0.2, 10/8, ::1 ... stay refused). */
export const allowTestLoopback: AddressPolicy = (address) =>
  address === '127.0.0.1' || allowPublicAddressesOnly(address);

/** Resolves made-up names from a table (no real DNS), counting calls per name. */
export function tableResolver(table: Record<string, string | string[]>): HostResolver & { calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const resolver = async (hostname: string): Promise<ResolvedAddress[]> => {
    calls.set(hostname, (calls.get(hostname) ?? 0) + 1);
    const answer = table[hostname];
    if (answer === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return (Array.isArray(answer) ? answer : [answer]).map((address) => ({
      address,
      family: address.includes(':') ? 6 : 4,
    }));
  };
  return Object.assign(resolver, { calls });
}

export async function makeTemporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'shotvl-media-fetch-test-'));
}

export async function removeDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}

/** Entries left in the spool directory (0 after every failure: nothing leaks). */
export async function spooledEntries(directory: string): Promise<string[]> {
  return readdir(directory);
}

export function testLoader(temporaryDirectory: string, options: MediaLoaderOptions = {}): MediaLoader {
  return new MediaLoader({ addressPolicy: allowTestLoopback, temporaryDirectory, ...options });
}

/** The reason of the MediaFetchError `promise` rejects with (fails the test on anything else). */
export async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(MediaFetchError);
  return (error as MediaFetchError).reason;
}

/** The MediaFetchError `promise` rejects with. */
export async function errorOf(promise: Promise<unknown>): Promise<MediaFetchError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(MediaFetchError);
  return error as MediaFetchError;
}

export const never = new AbortController().signal;
