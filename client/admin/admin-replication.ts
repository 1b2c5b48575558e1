// A broker's replication status (TRIBUTARY_REPLICATION_STATUS, README "Topologies"): a master's
// log end and each replica's acknowledged and flushed offsets, a replica's view of its master,
// and how often its log was cut to follow one.
import type { ClientInstance } from '../client-instance.js';
import { ClientError } from '../client-error.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';

export interface ReplicationStatus {
  readonly role: 'async-master' | 'sync-master' | 'slave';
  /** Controller mode (`--etcd`): the epoch of the master this broker is or follows. */
  readonly epoch?: number;
  readonly logEnd: number;
  readonly replicas: readonly {
    remote: string;
    /** The replica's own broker id. */
    replicaId: number;
    ackedOffset: number;
    flushedOffset: number;
    inSync: boolean;
  }[];
  readonly follower?: {
    masterAddress?: string;
    connected: boolean;
    masterLogEnd: number;
    refusal?: string;
    /** Controller mode: how far the master's in-sync replicas hold the log (reads stop there). */
    confirmedEnd: number;
    /** State machine snapshots installed from the master (an empty replica joining a master whose retention trimmed its log). */
    snapshotsInstalled: number;
    /**
     * Per record the master appended while the replica was connected, the master's append to
     * the replica's dispatch (whole ms, within 1 ms of the true lag); `byMs` holds every
     * non-empty bucket as [lag ms, records], so two readings give a window's figures.
     */
    lag: { count: number; p50Ms: number; p99Ms: number; maxMs: number; byMs: [number, number][] };
  };
  readonly truncations: number;
  readonly bytes: number;
  /** State machine snapshots this broker discarded at open because its log could not back them (ever, counted on disk). */
  readonly snapshotsDiscarded: number;
}

export async function replicationStatus(client: ClientInstance, address: string): Promise<ReplicationStatus> {
  const response = await client.invoke(address, { code: REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS });
  if (response.code !== RESPONSE_CODE.SUCCESS)
    throw ClientError.fromResponse(response.code, response.remark, 'replication status');
  const body = Buffer.concat([response.body ?? Buffer.alloc(0)].flat());
  return JSON.parse(body.toString('utf8')) as ReplicationStatus;
}
