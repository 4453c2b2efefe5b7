// DNS for media downloads, done inside the connection's `lookup` hook (the node:net option every
// socket calls to turn its host name into an address). Resolving once, checking every answer, and
// handing the socket exactly the checked address closes DNS rebinding: there is no second
// resolution between the check and the connect that an attacker's name server could answer
// differently. One host name with any refused answer is refused as a whole: a name that mixes
// public and private answers is either misconfigured or an attack.
//
// node:net skips the hook for IP literals, so the caller checks literal hosts itself
// (see checkLiteralHost in http-media-fetch.ts).
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import type { AddressPolicy } from './ip-address-policy.js';
import { MediaFetchError, quoteForMessage } from './media-fetch-errors.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses. Injectable so tests can play a rebinding name server. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts and the search domains apply), every answer. */
export const systemResolver: HostResolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
};

export function privateAddressRefused(hostname: string): MediaFetchError {
  return new MediaFetchError(
    'private_address_refused',
    `The media URL's host ${quoteForMessage(hostname)} is or resolves to a private, loopback, link-local or reserved address; such URLs are refused.`,
  );
}

export interface PinnedLookupOptions {
  resolver: HostResolver;
  policy: AddressPolicy;
  /** Told the address the connection is pinned to (for logs and tests). */
  onPinned?: (address: ResolvedAddress) => void;
}

/**
 * Returns a `lookup` hook for one connection: it resolves the host once, refuses the host if any
 * answer fails `policy`, and returns the first answer only, whether node asks for one address or
 * (with `autoSelectFamily`) for all of them.
 */
export function createPinnedLookup(options: PinnedLookupOptions): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    const fail = (error: MediaFetchError): void => callback(error as unknown as NodeJS.ErrnoException, '', 0);
    options.resolver(hostname).then(
      (answers) => {
        if (answers.length === 0) {
          fail(
            new MediaFetchError(
              'media_fetch_failed',
              `The media URL's host ${quoteForMessage(hostname)} has no address.`,
            ),
          );
          return;
        }
        // Every answer, not only those of the family asked for.
        if (!answers.every((answer) => options.policy(answer.address))) {
          fail(privateAddressRefused(hostname));
          return;
        }
        const family = lookupOptions.family;
        const wanted = family === 4 || family === 6 ? answers.filter((answer) => answer.family === family) : answers;
        if (wanted.length === 0) {
          fail(
            new MediaFetchError(
              'media_fetch_failed',
              `The media URL's host ${quoteForMessage(hostname)} has no address.`,
            ),
          );
          return;
        }
        const pinned = wanted[0] as ResolvedAddress;
        options.onPinned?.(pinned);
        if (lookupOptions.all === true) callback(null, [{ address: pinned.address, family: pinned.family }]);
        else callback(null, pinned.address, pinned.family);
      },
      (error: unknown) => {
        fail(
          new MediaFetchError(
            'media_fetch_failed',
            `The media URL's host ${quoteForMessage(hostname)} could not be resolved.`,
            { cause: error },
          ),
        );
      },
    );
  };
}
