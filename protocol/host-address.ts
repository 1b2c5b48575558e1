// BORNHOST and STOREHOST: an IPv4 address and a port, as the v1 record stores them (4 + 4
// bytes). IPv6 would need the 20-byte form and sysflag bits 4-5, which RocketMQ 4.x clients
// such as ali-ons cannot decode, so IPv4-mapped addresses are unwrapped and anything else is
// not a host address here (the store refuses it rather than store a form clients misparse).

export interface HostAddress {
  /** IPv4 address as an unsigned 32-bit integer, a.b.c.d = a<<24 | b<<16 | c<<8 | d. */
  readonly ip: number;
  readonly port: number;
}

const PORT_MAX = 65535;
const IPV4_MAPPED_PREFIX = '::ffff:';
const parsed = new Map<string, HostAddress>();
const PARSED_CACHE_SIZE_MAX = 4096;

/** Parses 'a.b.c.d:port' (or '::ffff:a.b.c.d:port'); undefined when it is not one. */
export function hostAddressOf(text: string): HostAddress | undefined {
  const cached = parsed.get(text);
  if (cached !== undefined) return cached;
  const colon = text.lastIndexOf(':');
  let ipText = colon < 0 ? text : text.slice(0, colon);
  if (ipText.startsWith(IPV4_MAPPED_PREFIX)) ipText = ipText.slice(IPV4_MAPPED_PREFIX.length);
  const port = colon < 0 ? 0 : Number(text.slice(colon + 1));
  const parts = ipText.split('.');
  const valid =
    parts.length === 4 &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255) &&
    Number.isInteger(port) &&
    port >= 0 &&
    port <= PORT_MAX;
  if (!valid) return undefined;
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  const host: HostAddress = { ip: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, port };
  if (parsed.size >= PARSED_CACHE_SIZE_MAX) parsed.clear();
  parsed.set(text, host);
  return host;
}

export function formatHostAddress(host: HostAddress): string {
  const { ip } = host;
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${host.port}`;
}
