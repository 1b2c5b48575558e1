// IP address patterns of an ACL file (RocketMQ's RemoteAddressStrategy forms, plus CIDR):
//
//   *                  every address, IPv4 or IPv6
//   192.168.0.5        one address (IPv6 addresses too, written in full or compressed)
//   192.168.0.*        any value in that octet; trailing octets may be left out: 192.168.*
//   192.168.1.1-10     a range in an octet, both ends included
//   192.168.1.{1,5,9}  a list in an octet
//   10.0.0.0/8         CIDR
//
// Clients reached over IPv6 sockets as IPv4-mapped addresses (::ffff:10.0.0.5) match as IPv4.
import net from 'node:net';

export class AddressPatternError extends Error {
  override readonly name = 'AddressPatternError';
}

const IPV4_OCTETS = 4;
const OCTET_MAX = 255;
const IPV4_PREFIX_BITS_MAX = 32;
const IPV4_MAPPED_PREFIX = '::ffff:';
const IPV6_GROUPS = 8;
const IPV6_GROUP_DIGITS = 4;

type AddressMatcher = (address: string) => boolean;

export class AddressAllowList {
  private constructor(
    private readonly matchers: readonly AddressMatcher[],
    /** The patterns as written, for messages. */
    readonly patterns: readonly string[],
  ) {}

  /** Compiles `patterns`; an AddressPatternError names the first malformed one. */
  static parse(patterns: readonly string[]): AddressAllowList {
    return new AddressAllowList(patterns.map(compilePattern), patterns);
  }

  get isEmpty(): boolean {
    return this.matchers.length === 0;
  }

  /** Whether `address` (a socket's remoteAddress) matches any pattern. */
  matches(address: string): boolean {
    const normalized = normalizeAddress(address);
    return this.matchers.some((matcher) => matcher(normalized));
  }
}

/** IPv4-mapped IPv6 addresses as plain IPv4; IPv6 in lower case. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith(IPV4_MAPPED_PREFIX) && net.isIPv4(lower.slice(IPV4_MAPPED_PREFIX.length)))
    return lower.slice(IPV4_MAPPED_PREFIX.length);
  return lower;
}

function compilePattern(pattern: string): AddressMatcher {
  const text = pattern.trim();
  if (text === '*') return () => true;
  if (net.isIPv6(text)) {
    const expected = expandIPv6(text);
    return (address) => net.isIPv6(address) && expandIPv6(address) === expected;
  }
  if (text.includes('/')) return compileCidr(pattern, text);
  const parts = text.split('.');
  if (parts.length < IPV4_OCTETS && parts.at(-1) === '*') {
    while (parts.length < IPV4_OCTETS) parts.push('*');
  }
  if (parts.length !== IPV4_OCTETS)
    throw new AddressPatternError(`address pattern '${pattern}' is not IPv4, IPv6 or *`);
  const octets = parts.map((part) => compileOctet(pattern, part));
  return (address) => {
    if (!net.isIPv4(address)) return false;
    return address.split('.').every((octet, i) => octets[i]!(Number(octet)));
  };
}

function compileOctet(pattern: string, part: string): (octet: number) => boolean {
  const bad = (): never => {
    throw new AddressPatternError(`address pattern '${pattern}' has a malformed octet '${part}'`);
  };
  if (part === '*') return () => true;
  const range = /^(\d{1,3})-(\d{1,3})$/.exec(part);
  if (range !== null) {
    const low = octetValue(range[1]!) ?? bad();
    const high = octetValue(range[2]!) ?? bad();
    if (low > high) bad();
    return (octet) => octet >= low && octet <= high;
  }
  const list = /^\{([\d,\s]+)\}$/.exec(part);
  if (list !== null) {
    const values = new Set(list[1]!.split(',').map((value) => octetValue(value.trim()) ?? bad()));
    return (octet) => values.has(octet);
  }
  const value = octetValue(part) ?? bad();
  return (octet) => octet === value;
}

function octetValue(text: string): number | undefined {
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= OCTET_MAX ? value : undefined;
}

function compileCidr(pattern: string, text: string): AddressMatcher {
  const [base = '', bitsText = ''] = text.split('/');
  const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : -1;
  if (!net.isIPv4(base) || bits < 0 || bits > IPV4_PREFIX_BITS_MAX)
    throw new AddressPatternError(`address pattern '${pattern}' is not an IPv4 CIDR block`);
  // `>>> 0` keeps the arithmetic unsigned; a /0 mask is 0 (shifting by 32 would be a no-op).
  const mask = bits === 0 ? 0 : (~0 << (IPV4_PREFIX_BITS_MAX - bits)) >>> 0;
  const network = (ipv4Number(base) & mask) >>> 0;
  return (address) => net.isIPv4(address) && (ipv4Number(address) & mask) >>> 0 === network;
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((value, octet) => ((value << 8) | Number(octet)) >>> 0, 0);
}

/** Eight 4-digit groups, so compressed (::1) and full (0:0:0:0:0:0:0:1) spellings compare equal. */
function expandIPv6(address: string): string {
  const [head = '', tail] = address.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = IPV6_GROUPS - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(Math.max(0, missing)).fill('0'), ...tailGroups];
  return groups.map((group) => group.padStart(IPV6_GROUP_DIGITS, '0')).join(':');
}
