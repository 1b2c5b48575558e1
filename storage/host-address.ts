// The store's side of BORNHOST and STOREHOST (protocol/host-address.ts has the format): a host
// the v1 record cannot hold is refused with a typed error.
import { hostAddressOf, type HostAddress } from '../protocol/host-address.js';
import { StoreError } from './store-error.js';

export { formatHostAddress, type HostAddress } from '../protocol/host-address.js';

/** Parses 'a.b.c.d:port' (or '::ffff:a.b.c.d:port'); throws INVALID_MESSAGE otherwise. */
export function parseHostAddress(text: string): HostAddress {
  const host = hostAddressOf(text);
  if (host === undefined) throw new StoreError('INVALID_MESSAGE', `host must be IPv4 'a.b.c.d:port', got '${text}'`);
  return host;
}
