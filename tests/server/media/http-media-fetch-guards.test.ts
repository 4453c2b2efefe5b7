// The SSRF guard of http(s) media URLs against real sockets: addresses refused by default, redirects
// re-checked per hop, https->http refused, no credentials or proxies.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MediaLoader } from '../../../src/server/media/media-loader.js';
import {
  allowTestLoopback,
  errorOf,
  makeTemporaryDirectory,
  never,
  reasonOf,
  removeDirectory,
  spooledEntries,
  tableResolver,
  testLoader,
} from './loader-fixtures.js';
import { startHttpServer, startHttpsServer, TEST_CERTIFICATE } from './test-servers.js';
import type { TestServer } from './test-servers.js';

const IMAGE = Buffer.from('89504e470d0a1a0a' + 'ab'.repeat(500), 'hex');

let directory: string;
let origin: TestServer; // 127.0.0.1: the test policy allows it
let internal: TestServer; // 127.0.0.2: loopback the test policy refuses; must never be reached
let secure: TestServer; // https on 127.0.0.1, certificate for media.test
let base: string;

/** Routes: /image, /redirect?to=<url>, /hops/<n> (n redirects, then the image), /status/<code>. */
function routes(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://x');
  if (url.pathname === '/image') {
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': IMAGE.length, 'set-cookie': 'session=1' });
    response.end(IMAGE);
  } else if (url.pathname === '/redirect') {
    response.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '' });
    response.end();
  } else if (url.pathname.startsWith('/hops/')) {
    const left = Number(url.pathname.slice('/hops/'.length));
    response.writeHead(
      left > 0 ? 301 : 200,
      left > 0 ? { location: `/hops/${left - 1}` } : { 'content-type': 'image/png' },
    );
    response.end(left > 0 ? undefined : IMAGE);
  } else {
    response.writeHead(Number(url.pathname.split('/')[2] ?? 404));
    response.end('nope');
  }
}

beforeAll(async () => {
  directory = await makeTemporaryDirectory();
  origin = await startHttpServer(routes);
  internal = await startHttpServer(routes, '127.0.0.2');
  secure = await startHttpsServer(routes);
  base = `http://127.0.0.1:${origin.port}`;
});

afterAll(async () => {
  await Promise.all([origin.close(), internal.close(), secure.close()]);
  await removeDirectory(directory);
});

afterEach(async () => {
  expect(await spooledEntries(directory)).toEqual([]);
  expect(internal.requests).toEqual([]);
});

describe('addresses', () => {
  it('downloads an image from an allowed address into memory', async () => {
    const connections: { url: string; address: string }[] = [];
    const source = await testLoader(directory, { onConnection: (connection) => connections.push(connection) }).resolve(
      `${base}/image`,
      'image',
      never,
    );
    expect(source).toEqual({ kind: 'bytes', bytes: new Uint8Array(IMAGE) });
    expect(connections).toEqual([{ url: `${base}/image`, address: '127.0.0.1' }]);
  });

  it('refuses loopback by default, by literal, by name and in every spelling, without connecting', async () => {
    const before = origin.requests.length;
    const loader = new MediaLoader({ temporaryDirectory: directory });
    for (const url of [
      `${base}/image`,
      `http://localhost:${origin.port}/image`,
      `http://[::1]:${origin.port}/image`,
      `http://[::ffff:127.0.0.1]:${origin.port}/image`,
      `http://0x7f.1:${origin.port}/image`,
      `http://2130706433:${origin.port}/image`,
      `http://0177.0.0.1:${origin.port}/image`,
      `http://0.0.0.0:${origin.port}/image`,
    ]) {
      expect(await reasonOf(loader.resolve(url, 'image', never)), url).toBe('private_address_refused');
    }
    expect(origin.requests.length).toBe(before);
  });

  it('refuses private, CGNAT, link-local and metadata addresses', async () => {
    const loader = new MediaLoader({ temporaryDirectory: directory });
    for (const host of [
      '10.0.0.1',
      '172.16.5.5',
      '192.168.0.1',
      '100.64.0.1',
      '169.254.169.254',
      '[fd00::1]',
      '[fe80::1]',
      '224.0.0.1',
      '[::ffff:a9fe:a9fe]',
      '[64:ff9b::a9fe:a9fe]',
    ]) {
      const error = await errorOf(loader.resolve(`http://${host}/latest/meta-data/`, 'image', never));
      expect(error.reason, host).toBe('private_address_refused');
      expect(error.code).toBe('media_url_not_allowed');
    }
  });

  it('refuses a name whose answers include one private address, naming only the host', async () => {
    const resolver = tableResolver({ 'mixed.test': ['127.0.0.1', '10.0.0.7'] });
    const error = await errorOf(
      testLoader(directory, { resolver }).resolve(`http://mixed.test:${origin.port}/image`, 'image', never),
    );
    expect(error.reason).toBe('private_address_refused');
    expect(error.message).toContain('mixed.test');
    expect(error.message).not.toContain('10.0.0.7');
  });

  it('allows loopback with allowPrivateAddresses', async () => {
    const source = await new MediaLoader({ allowPrivateAddresses: true, temporaryDirectory: directory }).resolve(
      `${base}/image`,
      'image',
      never,
    );
    expect(source.kind).toBe('bytes');
  });

  it('reports an unresolvable host as media_fetch_failed', async () => {
    expect(
      await reasonOf(
        testLoader(directory, { resolver: tableResolver({}) }).resolve('http://nowhere.test/image', 'image', never),
      ),
    ).toBe('media_fetch_failed');
  });
});

describe('redirects', () => {
  it('follows up to three redirects, re-checking each hop', async () => {
    const connections: string[] = [];
    const source = await testLoader(directory, { onConnection: ({ url }) => connections.push(url) }).resolve(
      `${base}/hops/3`,
      'image',
      never,
    );
    expect(source.kind).toBe('bytes');
    expect(connections).toEqual([3, 2, 1, 0].map((left) => `${base}/hops/${left}`));
  });

  it('refuses a chain of more than three redirects', async () => {
    const error = await errorOf(testLoader(directory).resolve(`${base}/hops/4`, 'image', never));
    expect(error.reason).toBe('too_many_redirects');
    expect(error.status).toBe(422);
  });

  it('honours a configured redirect limit, including none', async () => {
    expect(
      await reasonOf(testLoader(directory, { limits: { maxRedirects: 0 } }).resolve(`${base}/hops/1`, 'image', never)),
    ).toBe('too_many_redirects');
    expect(
      (await testLoader(directory, { limits: { maxRedirects: 5 } }).resolve(`${base}/hops/5`, 'image', never)).kind,
    ).toBe('bytes');
  });

  it.each([
    ['a private literal', 'http://10.0.0.1/x'],
    ['the metadata endpoint', 'http://169.254.169.254/latest/meta-data/iam/'],
    ['IPv6 loopback', 'http://[::1]/x'],
  ])('refuses a redirect to %s', async (_name, target) => {
    const url = `${base}/redirect?to=${encodeURIComponent(target)}`;
    expect(await reasonOf(testLoader(directory).resolve(url, 'image', never))).toBe('private_address_refused');
  });

  it('refuses a redirect to a name resolving to a refused address, before connecting to it', async () => {
    const resolver = tableResolver({ 'internal.test': '127.0.0.2' });
    const url = `${base}/redirect?status=307&to=${encodeURIComponent(`http://internal.test:${internal.port}/image`)}`;
    expect(await reasonOf(testLoader(directory, { resolver }).resolve(url, 'image', never))).toBe(
      'private_address_refused',
    );
    expect(resolver.calls.get('internal.test')).toBe(1);
    // afterEach: the 127.0.0.2 server received nothing.
  });

  it.each([
    ['file:', 'file:///etc/passwd'],
    ['data:', 'data:image/png;base64,iVBORw0KGgo='],
    ['ftp:', 'ftp://example.com/x.png'],
  ])('refuses a redirect to %s URLs', async (_scheme, target) => {
    expect(
      await reasonOf(
        testLoader(directory).resolve(`${base}/redirect?to=${encodeURIComponent(target)}`, 'image', never),
      ),
    ).toBe('unsupported_url_scheme');
  });

  it('refuses a redirect without a location', async () => {
    expect(await reasonOf(testLoader(directory).resolve(`${base}/redirect`, 'image', never))).toBe(
      'media_fetch_failed',
    );
  });
});

describe('https', () => {
  const secureLoader = (options = {}): MediaLoader =>
    testLoader(directory, {
      resolver: tableResolver({ 'media.test': '127.0.0.1' }),
      certificateAuthorities: TEST_CERTIFICATE,
      ...options,
    });

  it('downloads over https, verifying the certificate against the host name', async () => {
    const source = await secureLoader().resolve(`https://media.test:${secure.port}/image`, 'image', never);
    expect(source).toEqual({ kind: 'bytes', bytes: new Uint8Array(IMAGE) });
  });

  it('follows an https -> https redirect', async () => {
    const target = `https://media.test:${secure.port}/image`;
    const source = await secureLoader().resolve(
      `https://media.test:${secure.port}/redirect?to=${encodeURIComponent(target)}`,
      'image',
      never,
    );
    expect(source.kind).toBe('bytes');
  });

  it('refuses an https -> http downgrade without connecting to the http URL', async () => {
    const before = origin.requests.length;
    const target = `http://127.0.0.1:${origin.port}/image`;
    const error = await errorOf(
      secureLoader().resolve(
        `https://media.test:${secure.port}/redirect?to=${encodeURIComponent(target)}`,
        'image',
        never,
      ),
    );
    expect(error.reason).toBe('insecure_redirect_refused');
    expect(error.status).toBe(400);
    expect(origin.requests.length).toBe(before);
  });

  it('fails on an untrusted certificate with a message free of TLS library text', async () => {
    const loader = testLoader(directory, { resolver: tableResolver({ 'media.test': '127.0.0.1' }) });
    const error = await errorOf(loader.resolve(`https://media.test:${secure.port}/image`, 'image', never));
    expect(error.reason).toBe('media_fetch_failed');
    expect(error.message).toBe("The TLS handshake with 'media.test' failed.");
  });
});

describe('what is sent', () => {
  it('refuses credentials in the URL', async () => {
    expect(
      await reasonOf(
        testLoader(directory).resolve(`http://user:secret@127.0.0.1:${origin.port}/image`, 'image', never),
      ),
    ).toBe('invalid_media_url');
  });

  it('sends only its own headers: no cookies, no authorization, no proxy', async () => {
    const saved = { http: process.env['HTTP_PROXY'], lower: process.env['http_proxy'] };
    // A proxy that does not exist: honouring it would fail the download.
    process.env['HTTP_PROXY'] = 'http://127.0.0.1:9';
    process.env['http_proxy'] = 'http://127.0.0.1:9';
    try {
      const loader = testLoader(directory);
      await loader.resolve(`${base}/image`, 'image', never);
      await loader.resolve(`${base}/image`, 'image', never); // a Set-Cookie from the first is not replayed
    } finally {
      for (const [key, value] of [
        ['HTTP_PROXY', saved.http],
        ['http_proxy', saved.lower],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    const last = origin.requests.at(-1);
    expect(Object.keys(last?.headers ?? {}).sort()).toEqual([
      'accept',
      'accept-encoding',
      'connection',
      'host',
      'user-agent',
    ]);
    expect(last?.headers['accept-encoding']).toBe('identity');
  });

  it('reports a non-2xx status as media_fetch_failed with the status in the message', async () => {
    const error = await errorOf(testLoader(directory).resolve(`${base}/status/404`, 'image', never));
    expect(error.reason).toBe('media_fetch_failed');
    expect(error.message).toContain('HTTP 404');
  });

  it('spools videos to a private file and removes it on release', async () => {
    const loader = testLoader(directory);
    const source = await loader.resolve(`${base}/image`, 'video', never);
    expect(source.kind).toBe('file');
    const path = source.kind === 'file' ? source.path : '';
    expect(await readFile(path)).toEqual(IMAGE);
    expect(loader.pendingTemporaryFiles).toBe(1);
    await loader.release(source);
    expect(loader.pendingTemporaryFiles).toBe(0);
    // afterEach: the spool directory is empty again.
  });

  it('keeps images above the memory threshold in a file; close removes what was not released', async () => {
    const loader = testLoader(directory, { limits: { memoryThresholdBytes: 100 } });
    const source = await loader.resolve(`${base}/image`, 'image', never);
    expect(source.kind).toBe('file');
    expect(await spooledEntries(directory)).toHaveLength(1);
    await loader.close();
  });
});

it('uses the test policy only where asked: the default policy refuses 127.0.0.1', () => {
  expect(allowTestLoopback('127.0.0.1')).toBe(true);
  expect(allowTestLoopback('127.0.0.2')).toBe(false);
});
