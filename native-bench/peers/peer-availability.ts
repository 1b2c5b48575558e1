// Which peers this machine can run, decided once before the first trial: a missing server is
// reported with the install command and skipped (the benchmark never installs anything), and a
// nats-server too old for `sync_interval: always` is skipped for the sync-durability workload
// only, because its acknowledged publishes are not fsynced and would be compared with
// Tributary's SYNC_FLUSH and Redis's appendfsync always as if they were.
import type { PeerSystem, WorkloadSpec } from '../peers-trials.js';
import { NATS_SERVER_BINARY, natsServerVersion, natsSupportsSyncAlways } from './nats-server-process.js';
import { REDIS_SERVER_BINARY, redisServerVersion } from './redis-server-process.js';
import { findServerBinary, missingServerMessage } from './server-binary.js';

export interface ServerAvailability {
  readonly binary?: string;
  readonly version?: string;
  /** Set when the peer is skipped altogether. */
  readonly skipped?: string;
  /** nats-server: whether `sync_interval: always` exists. */
  readonly syncAlways?: boolean;
}

export type PeerAvailability = Readonly<Record<'redis' | 'nats', ServerAvailability>>;

export function detectPeers(): PeerAvailability {
  const redisBinary = findServerBinary(REDIS_SERVER_BINARY);
  const natsBinary = findServerBinary(NATS_SERVER_BINARY);
  const natsVersion = natsBinary === undefined ? undefined : natsServerVersion(natsBinary);
  return {
    redis:
      redisBinary === undefined
        ? { skipped: missingServerMessage(REDIS_SERVER_BINARY, 'Redis Streams') }
        : { binary: redisBinary, version: redisServerVersion(redisBinary) },
    nats:
      natsBinary === undefined
        ? { skipped: missingServerMessage(NATS_SERVER_BINARY, 'NATS JetStream') }
        : { binary: natsBinary, version: natsVersion!, syncAlways: natsSupportsSyncAlways(natsVersion!) },
  };
}

/** Why `system` does not run `workload` here, or undefined when it does. */
export function skipReason(system: PeerSystem, workload: WorkloadSpec, peers: PeerAvailability): string | undefined {
  if (system === 'tributary') return undefined;
  const peer = peers[system];
  if (peer.skipped !== undefined) return peer.skipped;
  if (system === 'nats' && workload.sync && peer.syncAlways !== true) {
    return (
      `nats-server ${peer.version} has no per-publish fsync (the jetstream sync_interval option, ` +
      '"always", arrived in 2.10; this version rejects it as an unknown field), so it has no mode ' +
      'comparable with SYNC_FLUSH / appendfsync always'
    );
  }
  return undefined;
}
