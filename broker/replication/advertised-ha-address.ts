// The HA address a master gives its replicas: its answer to TRIBUTARY_REPLICATION_ADDRESS and,
// in controller mode, its etcd election value. `haAdvertisedAddress` when set (replicas reach
// the master through a NAT, a container's port mapping or a proxy), else advertisedHost:haPort.
import { TCP_PORT_MAX } from '../broker-constants.js';
import type { ResolvedBrokerOptions } from '../broker-options.js';
import { splitAddress } from './find-master.js';

export function advertisedHaAddress(
  resolved: Pick<ResolvedBrokerOptions, 'advertisedHost' | 'haAdvertisedAddress'>,
  haPort: number,
): string {
  return resolved.haAdvertisedAddress ?? `${resolved.advertisedHost}:${haPort}`;
}

/** Whether `address` is 'host:port' with a host and a port of 1..TCP_PORT_MAX. */
export function isHaAddress(address: string): boolean {
  const [host, port] = splitAddress(address);
  return host !== '' && !/\s/.test(host) && Number.isInteger(port) && port >= 1 && port <= TCP_PORT_MAX;
}
