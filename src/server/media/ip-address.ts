// Parsing of IP address text into bytes, strict enough for a security check: what does not parse is
// refused by the policy, never guessed at. Accepts the canonical forms DNS answers and WHATWG URL
// hostnames use (dotted-decimal IPv4; RFC 4291 IPv6 text with `::` and a dotted IPv4 tail;
// optional brackets and zone id). Legacy IPv4 spellings (`0x7f.1`, `2130706433`, leading zeros)
// never reach here from a URL, because the WHATWG URL parser already normalises them; from
// anywhere else they do not parse.

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index += 1) {
    const part = parts[index] as string;
    if (!IPV4_PART.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[index] = value;
  }
  return bytes;
}

/** Parses the groups on one side of `::` into 16-bit values; a dotted IPv4 tail counts as two groups. */
function parseIpv6Groups(text: string, allowIpv4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index] as string;
    if (allowIpv4Tail && index === parts.length - 1 && part.includes('.')) {
      const ipv4 = parseIpv4(part);
      if (ipv4 === undefined) return undefined;
      groups.push(((ipv4[0] as number) << 8) | (ipv4[1] as number), ((ipv4[2] as number) << 8) | (ipv4[3] as number));
      continue;
    }
    if (!IPV6_GROUP.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    const all = parseIpv6Groups(text, true);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  } else {
    const head = parseIpv6Groups(halves[0] as string, false);
    const tail = parseIpv6Groups(halves[1] as string, true);
    // `::` stands for at least one zero group.
    if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const bytes = new Uint8Array(16);
  groups.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 address (brackets and an IPv6 zone id such as `%eth0` are accepted and dropped). */
export function parseIpAddress(text: string): IpAddress | undefined {
  let candidate = text;
  if (candidate.startsWith('[') && candidate.endsWith(']')) candidate = candidate.slice(1, -1);
  if (candidate.includes(':')) {
    const zone = candidate.indexOf('%');
    if (zone !== -1) candidate = candidate.slice(0, zone);
    const bytes = parseIpv6(candidate);
    return bytes === undefined ? undefined : { family: 6, bytes };
  }
  const bytes = parseIpv4(candidate);
  return bytes === undefined ? undefined : { family: 4, bytes };
}

export function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 4)).join('.');
}
