// The broker's one call into replication (README "Topologies"): a master with an HA port
// streams its log to replicas (and, as a sync master, acknowledges sends only once they hold
// them); a slave follows its master read-only and replays its state machines' commands.
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { responseTo } from '../../protocol/remoting-command.js';
import type { RemotingServer } from '../../server/remoting-server.js';
import type { MessageStore } from '../../storage/index.js';
import type { BrokerContext } from '../broker-context.js';
import { MASTER_BROKER_ID } from '../broker-constants.js';
import type { ResolvedBrokerOptions } from '../broker-options.js';
import { ReplicaFollower, type FollowerStatus } from './replica-follower.js';
import { ReplicationServer, type ReplicaProgress } from './replication-server.js';
import { SyncReplicaGate } from './sync-replica-gate.js';
import { truncationCount } from './truncate-unreplicated-tail.js';

/** Replay of the commands a master logged: each state machine's catch-up. */
export interface CatchingUp {
  catchUp(): void;
}

export interface Replication {
  /** True for a slave: its store takes records only from its master. */
  readonly isReplica: boolean;
  /** A master's HA port; undefined when it serves none. */
  readonly haPort: number | undefined;
  /** A master's connected replicas. */
  replicas(): ReplicaProgress[];
  /** A slave's view of its master. */
  follower(): FollowerStatus | undefined;
  close(): Promise<void>;
}

export class ReplicationConfigError extends Error {
  override readonly name = 'ReplicationConfigError';
  readonly code = 'INVALID_REPLICATION_OPTIONS';
}

export async function startReplication(
  resolved: ResolvedBrokerOptions,
  context: BrokerContext,
  store: MessageStore,
  server: RemotingServer,
  machines: readonly CatchingUp[],
): Promise<Replication> {
  const { role, brokerId } = resolved;
  const replica = role === 'slave';
  if (!Number.isInteger(brokerId) || brokerId < 0 || replica !== (brokerId !== MASTER_BROKER_ID))
    throw new ReplicationConfigError(
      `role ${role} needs broker id ${replica ? '>= 1' : MASTER_BROKER_ID}, not ${brokerId}`,
    );
  if (!Number.isInteger(resolved.syncReplicas) || resolved.syncReplicas < 1)
    throw new ReplicationConfigError(`syncReplicas must be an integer >= 1, not ${resolved.syncReplicas}`);
  const segmentBytes = store.options.segmentBytes;
  let haServer: ReplicationServer | undefined;
  let haPort: number | undefined;
  let follower: ReplicaFollower | undefined;
  if (replica) {
    store.setReadOnly(true);
    follower = new ReplicaFollower(
      store,
      {
        brokerName: resolved.brokerName,
        nameServers: resolved.nameServers,
        segmentBytes,
        credentials: resolved.replicaCredentials,
      },
      {
        appended: (result) => {
          for (const machine of machines) machine.catchUp();
          for (const queue of result.queues) context.holds.arrived(queue.topic, queue.queueId, queue.maxQueueOffset);
        },
        onError: resolved.onError,
      },
    );
  } else if (resolved.haPort !== 'off') {
    haServer = new ReplicationServer(
      store,
      resolved.brokerName,
      segmentBytes,
      resolved.onError,
      context.access.replicaRefusal,
    );
    haPort = await haServer.listen(resolved.host, resolved.haPort);
    const following = haServer;
    context.replicaReads.replicaFollowing = () => following.replicas.length > 0;
    context.writer.onAppended = () => following.wake();
    if (role === 'sync-master') {
      const gate = new SyncReplicaGate(
        haServer,
        resolved.syncReplicas,
        resolved.syncReplicaTimeoutMs,
        resolved.flush === 'sync',
      );
      context.writer.replicaGate = (end) => gate.waitFor(end);
    }
  } else if (role === 'sync-master') {
    throw new ReplicationConfigError('a sync master needs an HA port for its replicas');
  }
  const haAddress = haPort === undefined ? '' : `${resolved.advertisedHost}:${haPort}`;
  server.register(REQUEST_CODE.TRIBUTARY_REPLICATION_ADDRESS, (request) =>
    responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { haAddress, role }),
  );
  server.register(REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS, (request) =>
    responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, statusBody(resolved, store, haServer, follower)),
  );
  follower?.start();
  return {
    isReplica: replica,
    haPort,
    replicas: () => haServer?.replicas ?? [],
    follower: () => follower?.state,
    close: async () => {
      await follower?.close();
      await haServer?.close();
    },
  };
}

/** TRIBUTARY_REPLICATION_STATUS's JSON body (client/admin/admin-replication.ts reads it). */
function statusBody(
  resolved: ResolvedBrokerOptions,
  store: MessageStore,
  haServer: ReplicationServer | undefined,
  follower: ReplicaFollower | undefined,
): Buffer {
  const inSync = new Set(haServer?.inSync(Date.now()) ?? []);
  const replicas = (haServer?.replicas ?? []).map((progress) => ({
    remote: progress.remote,
    ackedOffset: progress.ackedOffset,
    flushedOffset: progress.flushedOffset,
    inSync: inSync.has(progress),
  }));
  const truncated = truncationCount(resolved.dataDirectory);
  const body = {
    role: resolved.role,
    logEnd: store.commitLogMaxOffset,
    replicas,
    follower: follower?.state,
    ...truncated,
  };
  return Buffer.from(JSON.stringify(body));
}
