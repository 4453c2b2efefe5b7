// Which addresses a media download may connect to. Threat model (SSRF): an API user names a URL whose
// host is, resolves to, or redirects to an address inside our network — loopback services, the cloud
// metadata endpoint 169.254.169.254, RFC 1918 hosts, a router's link-local address — and uses the
// server to read from it. By default only public unicast addresses are allowed.
//
// The tables follow the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its
// updates). Addresses that embed an IPv4 address — IPv4-mapped `::ffff:a.b.c.d` (RFC 4291), NAT64
// `64:ff9b::/96` (RFC 6052) and 6to4 `2002::/16` (RFC 3056) — get the verdict of the embedded IPv4
// address, because that is where the packets end up. IPv4-compatible `::a.b.c.d` (deprecated by RFC
// 4291), local-use NAT64 (RFC 8215), Teredo (inside 2001::/23) and everything outside global unicast
// 2000::/3 are refused outright. Text that does not parse is refused.
import { parseIpAddress } from './ip-address.js';
import type { IpAddress } from './ip-address.js';

export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  /** 100.64.0.0/10, carrier-grade NAT (RFC 6598). */
  | 'shared'
  | 'link-local'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  /** fc00::/7 (RFC 4193). */
  | 'unique-local'
  /** fec0::/10, deprecated by RFC 3879. */
  | 'site-local'
  | 'reserved'
  | 'invalid';

type Range = readonly [prefix: readonly number[], length: number, addressClass: AddressClass | 'embedded-ipv4'];

/** Most specific first: the first matching range decides. */
const IPV4_RANGES: readonly Range[] = [
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[0, 0, 0, 0], 32, 'unspecified'],
  [[192, 0, 0], 24, 'reserved'], // IETF protocol assignments (DS-Lite, NAT64 discovery, ...)
  [[192, 0, 2], 24, 'documentation'], // TEST-NET-1
  [[192, 88, 99], 24, 'reserved'], // 6to4 relay anycast, deprecated (RFC 7526)
  [[198, 51, 100], 24, 'documentation'], // TEST-NET-2
  [[203, 0, 113], 24, 'documentation'], // TEST-NET-3
  [[169, 254], 16, 'link-local'], // includes the cloud metadata endpoint 169.254.169.254
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'benchmarking'],
  [[172, 16], 12, 'private'],
  [[100, 64], 10, 'shared'],
  [[0], 8, 'reserved'], // "this network"; connecting to 0.x reaches the local host on Linux
  [[10], 8, 'private'],
  [[127], 8, 'loopback'],
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'],
];

const IPV6_RANGES: readonly Range[] = [
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 128, 'unspecified'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, 'loopback'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96, 'embedded-ipv4'], // IPv4-mapped
  [[0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], 96, 'reserved'], // IPv4-translated (RFC 2765)
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 96, 'reserved'], // IPv4-compatible, deprecated
  [[0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96, 'embedded-ipv4'], // NAT64 well-known prefix
  [[1, 0, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only (RFC 6666)
  [[0, 0x64, 0xff, 0x9b, 0, 1], 48, 'reserved'], // local-use NAT64 (RFC 8215)
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'documentation'],
  [[0x20, 0x01, 0], 23, 'reserved'], // IETF protocol assignments: Teredo, benchmarking, ORCHID
  [[0x3f, 0xff, 0], 20, 'documentation'], // RFC 9637
  [[0x20, 0x02], 16, 'embedded-ipv4'], // 6to4
  [[0x5f, 0x00], 16, 'reserved'], // SRv6 SIDs (RFC 9602)
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'site-local'],
  [[0xff], 8, 'multicast'],
  [[0xfc], 7, 'unique-local'],
];

function matches(bytes: Uint8Array, prefix: readonly number[], length: number): boolean {
  for (let bit = 0; bit < length; bit += 8) {
    const byteIndex = bit / 8;
    const bitsHere = Math.min(8, length - bit);
    const mask = (0xff << (8 - bitsHere)) & 0xff;
    if (((bytes[byteIndex] as number) & mask) !== ((prefix[byteIndex] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyIpv4Bytes(bytes: Uint8Array): AddressClass {
  for (const [prefix, length, addressClass] of IPV4_RANGES) {
    if (matches(bytes, prefix, length)) return addressClass === 'embedded-ipv4' ? 'reserved' : addressClass;
  }
  return 'public';
}

/** The IPv4 address an IPv6 address carries, for the forms whose packets are delivered to it. */
export function embeddedIpv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6); // 6to4: 2002:AABB:CCDD::/48
  return bytes.slice(12, 16); // mapped and NAT64 carry it in the last 32 bits
}

function classifyIpv6Bytes(bytes: Uint8Array): AddressClass {
  for (const [prefix, length, addressClass] of IPV6_RANGES) {
    if (!matches(bytes, prefix, length)) continue;
    if (addressClass !== 'embedded-ipv4') return addressClass;
    return classifyIpv4Bytes(embeddedIpv4(bytes) as Uint8Array);
  }
  // Only 2000::/3 is allocated as global unicast; the rest is reserved by IANA.
  return ((bytes[0] as number) & 0xe0) === 0x20 ? 'public' : 'reserved';
}

export function classifyParsedAddress(address: IpAddress): AddressClass {
  return address.family === 4 ? classifyIpv4Bytes(address.bytes) : classifyIpv6Bytes(address.bytes);
}

/** Classifies address text (IPv4, IPv6, bracketed, with zone id); text that does not parse is `invalid`. */
export function classifyIpAddress(text: string): AddressClass {
  const parsed = parseIpAddress(text);
  return parsed === undefined ? 'invalid' : classifyParsedAddress(parsed);
}

/**
 * Decides whether a media download may connect to `address` (IP text as DNS or a URL gives it).
 * Injectable so that tests can allow their 127.0.0.1 server while proving the default refuses it.
 */
export type AddressPolicy = (address: string) => boolean;

/** The default: public unicast addresses only. */
export const allowPublicAddressesOnly: AddressPolicy = (address) => classifyIpAddress(address) === 'public';

/** Classes no unicast TCP connection can or should be opened to, even when private addresses are allowed. */
const NEVER_ALLOWED: ReadonlySet<AddressClass> = new Set(['unspecified', 'multicast', 'broadcast', 'invalid']);

/** `--allow-private-media-urls`: loopback, private, link-local... allowed; unspecified, multicast, broadcast still refused. */
export const allowPrivateAddresses: AddressPolicy = (address) => !NEVER_ALLOWED.has(classifyIpAddress(address));
