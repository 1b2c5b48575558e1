// The broker's advertised address as the v1 record stores it (IPv4 + port).

export interface HostAddressLike {
  readonly ip: number;
  readonly port: number;
}

export function toHostAddress(host: string, port: number): HostAddressLike {
  const parts = host.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) {
    throw new Error(`advertisedHost must be an IPv4 address, got '${host}'`);
  }
  const [a, b, c, d] = parts as [number, number, number, number];
  return { ip: ((a << 24) | (b << 16) | (c << 8) | d) >>> 0, port };
}
