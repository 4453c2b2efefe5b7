import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpAddress } from '../../../src/server/media/ip-address.js';
import {
  allowPrivateAddresses,
  allowPublicAddressesOnly,
  classifyIpAddress,
} from '../../../src/server/media/ip-address-policy.js';

describe('parseIpAddress', () => {
  it.each([
    ['127.0.0.1', 4, [127, 0, 0, 1]],
    ['::1', 6, [...new Array(15).fill(0), 1]],
    ['[::1]', 6, [...new Array(15).fill(0), 1]],
    ['fe80::1%eth0', 6, [0xfe, 0x80, ...new Array(13).fill(0), 1]],
    ['::ffff:10.0.0.1', 6, [...new Array(10).fill(0), 0xff, 0xff, 10, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', 6, [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
  ])('parses %s', (text, family, bytes) => {
    const parsed = parseIpAddress(text);
    expect(parsed?.family).toBe(family);
    expect(Array.from(parsed?.bytes ?? [])).toEqual(bytes);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '0x7f.0.0.1',
    '2130706433',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7::8',
    'example.com',
    '::ffff:1.2.3',
  ])('refuses %j', (text) => {
    expect(parseIpAddress(text)).toBeUndefined();
    expect(classifyIpAddress(text)).toBe('invalid');
    expect(allowPublicAddressesOnly(text)).toBe(false);
    expect(allowPrivateAddresses(text)).toBe(false);
  });

  it('agrees with node:net about what is an address (random IPv6 text)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        expect(parseIpAddress(text) !== undefined).toBe(isIP(text) === 6);
      }),
      { numRuns: 500 },
    );
  });
});

describe('classifyIpAddress', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.170', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'reserved'], // IPv4-compatible: deprecated, refused whatever it embeds
    ['::8.8.8.8', 'reserved'],
    ['::ffff:0:10.0.0.1', 'reserved'], // IPv4-translated
    ['64:ff9b::10.0.0.1', 'private'], // NAT64
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::8.8.8.8', 'reserved'], // local-use NAT64
    ['2002:0a00:0001::1', 'private'], // 6to4 of 10.0.0.1
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:0808:0808::1', 'public'],
    ['2001::1', 'reserved'], // Teredo
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['100::1', 'reserved'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['4000::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001::1', 'public'],
  ])('%s is %s', (address, expected) => {
    expect(classifyIpAddress(address)).toBe(expected);
    expect(allowPublicAddressesOnly(address)).toBe(expected === 'public');
  });

  it('with private addresses allowed, still refuses unspecified, multicast and broadcast', () => {
    expect(allowPrivateAddresses('127.0.0.1')).toBe(true);
    expect(allowPrivateAddresses('10.0.0.1')).toBe(true);
    expect(allowPrivateAddresses('169.254.169.254')).toBe(true);
    expect(allowPrivateAddresses('fd00::1')).toBe(true);
    expect(allowPrivateAddresses('0.0.0.0')).toBe(false);
    expect(allowPrivateAddresses('::')).toBe(false);
    expect(allowPrivateAddresses('224.0.0.1')).toBe(false);
    expect(allowPrivateAddresses('ff02::1')).toBe(false);
    expect(allowPrivateAddresses('255.255.255.255')).toBe(false);
  });
});

// Generators for addresses inside a CIDR range: fixed prefix bits, random rest.
function ipv4In(prefix: [number, number, number, number], length: number): fc.Arbitrary<Uint8Array> {
  return fc.integer({ min: 0, max: 2 ** (32 - length) - 1 }).map((offset) => {
    const base = ((prefix[0] << 24) | (prefix[1] << 16) | (prefix[2] << 8) | prefix[3]) >>> 0;
    const value = (base + offset) >>> 0;
    return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
  });
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2)
    groups.push((((bytes[index] as number) << 8) | (bytes[index + 1] as number)).toString(16));
  return groups.join(':');
}

function ipv6BytesIn(prefix: number[], length: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((random) => {
    const bytes = new Uint8Array(16);
    for (let bit = 0; bit < 128; bit += 1) {
      const source = bit < length ? (prefix[bit >> 3] ?? 0) : (random[bit >> 3] as number);
      if (source & (0x80 >> (bit & 7))) bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
    }
    return bytes;
  });
}

const ipv6In = (prefix: number[], length: number): fc.Arbitrary<string> => ipv6BytesIn(prefix, length).map(formatIpv6);

const startsWith = (bytes: Uint8Array, prefix: number[]): boolean =>
  prefix.every((value, index) => bytes[index] === value);

/** Anything outside global unicast 2000::/3, except the IPv4-mapped and NAT64 forms (those follow their IPv4 address). */
const outsideGlobalUnicast = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .filter(
    (bytes) =>
      ((bytes[0] as number) & 0xe0) !== 0x20 &&
      !startsWith(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) &&
      !startsWith(bytes, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]),
  )
  .map(formatIpv6);

const privateIpv4 = fc.oneof(
  ipv4In([0, 0, 0, 0], 8),
  ipv4In([10, 0, 0, 0], 8),
  ipv4In([100, 64, 0, 0], 10),
  ipv4In([127, 0, 0, 0], 8),
  ipv4In([169, 254, 0, 0], 16),
  ipv4In([172, 16, 0, 0], 12),
  ipv4In([192, 168, 0, 0], 16),
  ipv4In([224, 0, 0, 0], 4),
  ipv4In([240, 0, 0, 0], 4),
);

const privateIpv6 = fc.oneof(
  ipv6In([0xfc], 7),
  ipv6In([0xfe, 0x80], 10),
  ipv6In([0xfe, 0xc0], 10),
  ipv6In([0xff], 8),
  ipv6In([0x20, 0x01, 0x0d, 0xb8], 32),
  ipv6In([0x20, 0x01, 0x00, 0x00], 32),
  ipv6In([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96),
  ipv6In([0x3f, 0xff], 20),
  outsideGlobalUnicast,
);

describe('address policy (property)', () => {
  it('refuses every IPv4 address in loopback, private, CGNAT, link-local, multicast and reserved ranges', () => {
    fc.assert(
      fc.property(privateIpv4, (bytes) => {
        expect(allowPublicAddressesOnly(formatIpv4(bytes))).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses every IPv6 address in ULA, link-local, site-local, multicast, documentation, Teredo, compatible and non-2000::/3 space', () => {
    fc.assert(
      fc.property(privateIpv6, (text) => {
        expect(allowPublicAddressesOnly(text)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives IPv4-mapped, NAT64 and 6to4 forms the verdict of the IPv4 address they embed', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ipv4) => {
        const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
        const hex = (high: number, low: number): string => ((high << 8) | low).toString(16);
        const verdict = classifyIpAddress(ipv4);
        expect(classifyIpAddress(`::ffff:${ipv4}`)).toBe(verdict);
        expect(classifyIpAddress(`::ffff:${hex(a, b)}:${hex(c, d)}`)).toBe(verdict);
        expect(classifyIpAddress(`64:ff9b::${ipv4}`)).toBe(verdict);
        expect(classifyIpAddress(`2002:${hex(a, b)}:${hex(c, d)}::1`)).toBe(verdict);
        expect(allowPublicAddressesOnly(`::ffff:${ipv4}`)).toBe(allowPublicAddressesOnly(ipv4));
        // IPv4-compatible forms are never allowed.
        expect(allowPublicAddressesOnly(`::${ipv4}`)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses mapped forms of every private IPv4 address', () => {
    fc.assert(
      fc.property(privateIpv4, (bytes) => {
        const ipv4 = formatIpv4(bytes);
        expect(allowPublicAddressesOnly(`::ffff:${ipv4}`)).toBe(false);
        expect(allowPublicAddressesOnly(`64:ff9b::${ipv4}`)).toBe(false);
        expect(allowPublicAddressesOnly(`::${ipv4}`)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
