// What the controller (broker-controller.ts) tells a broker it starts in a role: the epoch of
// the master it is or follows, where that master is, and a master's lease fence.
import type { MasterLocation } from './find-master.js';
import type { LeaseFence } from './lease-fence.js';
import type { ReplicationServer } from './replication-server.js';

export interface ControlledRole {
  /** The epoch of the master this broker is, or follows. */
  readonly epoch: number;
  /** This broker's own id (a master registers as 0 but is still this broker). */
  readonly brokerId: number;
  /** A follower's master: the one etcd elected, once it serves. */
  readonly locate: () => Promise<MasterLocation | undefined>;
  /** A master's lease: every write acknowledgement checks it. */
  readonly fence?: LeaseFence;
  /** A master's HA server, listening: the controller publishes and admits its in-sync set. */
  serving?(server: ReplicationServer): void;
}
