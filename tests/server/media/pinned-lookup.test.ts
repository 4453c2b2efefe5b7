// DNS rebinding: a name server that answers with an allowed address first and a private one next.
// The connection must use the address that was checked (one resolution per connection), and the
// private answer must be refused wherever it shows up.
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowPublicAddressesOnly } from '../../../src/server/media/ip-address-policy.js';
import { MediaFetchError } from '../../../src/server/media/media-fetch-errors.js';
import { createPinnedLookup } from '../../../src/server/media/pinned-lookup.js';
import type { HostResolver, ResolvedAddress } from '../../../src/server/media/pinned-lookup.js';
import {
  allowTestLoopback,
  makeTemporaryDirectory,
  never,
  reasonOf,
  removeDirectory,
  testLoader,
} from './loader-fixtures.js';
import { startHttpServer } from './test-servers.js';
import type { TestServer } from './test-servers.js';

/** Answers `answers[i]` on the i-th call (the last one forever after), counting calls. */
function rebindingResolver(...answers: string[][]): HostResolver & { calls: number } {
  const state = Object.assign(
    async (): Promise<ResolvedAddress[]> => {
      const answer = answers[Math.min(state.calls, answers.length - 1)] ?? [];
      state.calls += 1;
      return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
    { calls: 0 },
  );
  return state;
}

type LookupResult = { error: Error | null; address: string | LookupAddress[]; family?: number };

function runLookup(resolver: HostResolver, all: boolean, family?: number): Promise<LookupResult> {
  const lookup = createPinnedLookup({ resolver, policy: allowTestLoopback });
  return new Promise((resolve) =>
    lookup('host.test', { all, family }, (error, address, resultFamily) =>
      resolve({ error, address, family: resultFamily }),
    ),
  );
}

describe('createPinnedLookup', () => {
  it('returns the one checked address, in the shape node asked for', async () => {
    expect(await runLookup(rebindingResolver(['127.0.0.1']), false)).toEqual({
      error: null,
      address: '127.0.0.1',
      family: 4,
    });
    expect((await runLookup(rebindingResolver(['127.0.0.1', '8.8.8.8']), true)).address).toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
  });

  it('checks every answer, also those of a family node did not ask for', async () => {
    const result = await runLookup(rebindingResolver(['8.8.8.8', 'fd00::1']), false, 4);
    expect(result.error).toBeInstanceOf(MediaFetchError);
    expect((result.error as MediaFetchError).reason).toBe('private_address_refused');
  });

  it('refuses an empty answer', async () => {
    expect(((await runLookup(rebindingResolver([]), false)).error as MediaFetchError).reason).toBe(
      'media_fetch_failed',
    );
  });

  it('resolves once per lookup', async () => {
    const resolver = rebindingResolver(['127.0.0.1'], ['10.0.0.1']);
    expect((await runLookup(resolver, false)).address).toBe('127.0.0.1');
    expect(resolver.calls).toBe(1);
    expect(((await runLookup(resolver, false)).error as MediaFetchError).reason).toBe('private_address_refused');
  });
});

describe('DNS rebinding against a live server', () => {
  let server: TestServer;
  let directory: string;

  beforeAll(async () => {
    directory = await makeTemporaryDirectory();
    server = await startHttpServer((request, response) => {
      if (request.url === '/start') {
        response.writeHead(302, { location: '/image' });
        response.end();
      } else {
        response.end('image bytes');
      }
    });
  });

  afterAll(async () => {
    await server.close();
    await removeDirectory(directory);
  });

  it('connects to the checked address, resolving once: a second, private answer is never used', async () => {
    // "rebind.test" exists only in this resolver, so a successful download proves the socket used
    // our answer; one call proves nothing re-resolved the name between the check and the connect.
    const resolver = rebindingResolver(['127.0.0.1'], ['169.254.169.254']);
    const connections: string[] = [];
    const loader = testLoader(directory, { resolver, onConnection: ({ address }) => connections.push(address) });
    const source = await loader.resolve(`http://rebind.test:${server.port}/image`, 'image', never);
    expect(source.kind === 'bytes' ? Buffer.from(source.bytes).toString() : '').toBe('image bytes');
    expect(resolver.calls).toBe(1);
    expect(connections).toEqual(['127.0.0.1']);
  });

  it('refuses the private answer when the name rebinds between two hops of a redirect', async () => {
    const resolver = rebindingResolver(['127.0.0.1'], ['10.0.0.1']);
    const connections: string[] = [];
    const before = server.requests.length;
    const loader = testLoader(directory, { resolver, onConnection: ({ address }) => connections.push(address) });
    expect(await reasonOf(loader.resolve(`http://rebind.test:${server.port}/start`, 'image', never))).toBe(
      'private_address_refused',
    );
    expect(resolver.calls).toBe(2);
    expect(connections).toEqual(['127.0.0.1']);
    expect(server.requests.slice(before).map((request) => request.url)).toEqual(['/start']);
  });

  it('refuses the private answer when the name rebinds between two requests', async () => {
    const resolver = rebindingResolver(['127.0.0.1'], ['127.0.0.1', '192.168.1.1']);
    const loader = testLoader(directory, { resolver });
    expect((await loader.resolve(`http://rebind.test:${server.port}/image`, 'image', never)).kind).toBe('bytes');
    expect(await reasonOf(loader.resolve(`http://rebind.test:${server.port}/image`, 'image', never))).toBe(
      'private_address_refused',
    );
  });

  it('by default refuses even the first, loopback answer', async () => {
    const resolver = rebindingResolver(['127.0.0.1']);
    const loader = testLoader(directory, { resolver, addressPolicy: allowPublicAddressesOnly });
    expect(await reasonOf(loader.resolve(`http://rebind.test:${server.port}/image`, 'image', never))).toBe(
      'private_address_refused',
    );
  });
});
