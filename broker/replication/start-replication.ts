// The broker's one call into replication (README "Topologies"): a master with an HA port
// streams its log to replicas (and, as a sync master, acknowledges sends only once they hold
// them); a slave follows its master read-only and replays its state machines' commands.
import path from 'node:path';

import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { responseTo } from '../../protocol/remoting-command.js';
import type { RemotingServer } from '../../server/remoting-server.js';
import type { MessageStore } from '../../storage/index.js';
import type { BrokerContext } from '../broker-context.js';
import { MASTER_BROKER_ID } from '../broker-constants.js';
import type { ResolvedBrokerOptions } from '../broker-options.js';
import { advertisedHaAddress, isHaAddress } from './advertised-ha-address.js';
import { ReplicaFollower, type FollowerStatus } from './replica-follower.js';
import { ReplicationFrameError } from './replication-frame-error.js';
import { ReplicationServer, type ReplicaProgress } from './replication-server.js';
import { SyncReplicaGate } from './sync-replica-gate.js';
import { discardedSnapshots } from '../state/discarded-snapshots.js';
import { truncationCount } from './truncate-unreplicated-tail.js';
import type { ControlledRole } from './controlled-role.js';
import { writeEpochRecord } from './write-epoch-record.js';

/**
 * A state machine as replication sees it: a replica replays its master's commands (catchUp)
 * and installs its master's snapshot; a master sends its current one (install snapshot).
 */
export interface ReplicatedMachine {
  readonly name: string;
  readonly queueId: number;
  catchUp(): void;
  currentSnapshot(): Buffer;
  install(bytes: Buffer): Promise<void>;
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
  machines: readonly ReplicatedMachine[],
  control?: ControlledRole,
): Promise<Replication> {
  const replica = checkReplicationOptions(resolved);
  let served: { haServer: ReplicationServer; haPort: number } | undefined;
  let follower: ReplicaFollower | undefined;
  if (replica) {
    follower = followMaster(resolved, context, store, machines, control);
  } else if (resolved.haPort !== 'off') {
    served = await listenForReplicas(resolved.haPort, resolved, context, store, machines, control);
    connectWritesToReplicas(resolved, context, served.haServer, control);
  } else if (resolved.role === 'sync-master') {
    throw new ReplicationConfigError('a sync master needs an HA port for its replicas');
  }
  if (!replica && control !== undefined) await fenceWrites(context, control);
  const haServer = served?.haServer;
  registerReplicationRequests(server, resolved, store, { haPort: served?.haPort, haServer, follower, control });
  follower?.start();
  return {
    isReplica: replica,
    haPort: served?.haPort,
    replicas: () => haServer?.replicas ?? [],
    follower: () => follower?.state,
    close: async () => {
      await follower?.close();
      await haServer?.close();
    },
  };
}

/** Throws ReplicationConfigError on options that cannot replicate; returns whether it is a slave. */
function checkReplicationOptions(resolved: ResolvedBrokerOptions): boolean {
  const { role, brokerId } = resolved;
  const replica = role === 'slave';
  if (!Number.isInteger(brokerId) || brokerId < 0 || replica !== (brokerId !== MASTER_BROKER_ID))
    throw new ReplicationConfigError(
      `role ${role} needs broker id ${replica ? '>= 1' : MASTER_BROKER_ID}, not ${brokerId}`,
    );
  if (!Number.isInteger(resolved.syncReplicas) || resolved.syncReplicas < 1)
    throw new ReplicationConfigError(`syncReplicas must be an integer >= 1, not ${resolved.syncReplicas}`);
  if (resolved.haAdvertisedAddress !== undefined && !isHaAddress(resolved.haAdvertisedAddress))
    throw new ReplicationConfigError(`haAdvertisedAddress must be host:port, not '${resolved.haAdvertisedAddress}'`);
  return replica;
}

/** A master's HA port: a replication server sending its epoch, snapshots and log to replicas. */
async function listenForReplicas(
  port: number,
  resolved: ResolvedBrokerOptions,
  context: BrokerContext,
  store: MessageStore,
  machines: readonly ReplicatedMachine[],
  control: ControlledRole | undefined,
): Promise<{ haServer: ReplicationServer; haPort: number }> {
  const haServer = new ReplicationServer(
    store,
    resolved.brokerName,
    store.options.segmentBytes,
    resolved.onError,
    context.access.replicaRefusal,
  );
  haServer.epoch = control?.epoch ?? 0;
  haServer.snapshots = () =>
    machines.map((machine) => ({ name: machine.name, queueId: machine.queueId, bytes: machine.currentSnapshot() }));
  const haPort = await haServer.listen(resolved.host, port);
  return { haServer, haPort };
}

/**
 * Ties a serving master's writer and readers to its replicas: each append wakes the sender, and
 * a sync master acknowledges a write (and, controlled, lets consumers read it) only once enough
 * replicas hold it.
 */
function connectWritesToReplicas(
  resolved: ResolvedBrokerOptions,
  context: BrokerContext,
  haServer: ReplicationServer,
  control: ControlledRole | undefined,
): void {
  const { role } = resolved;
  if (control !== undefined) {
    // A sync master's acknowledged writes survive a failover, so consumers read no further;
    // an async master promises no such thing, and its consumers are not held to its replicas.
    if (role === 'sync-master') {
      context.replicaReads.readableEnd = () => haServer.replicatedEnd(Date.now());
      haServer.onReport(() => context.replicaReads.readableGrew());
    }
    control.serving?.(haServer);
  }
  context.replicaReads.replicaFollowing = () => haServer.replicas.length > 0;
  context.writer.onAppended = () => haServer.wake();
  if (role === 'sync-master') {
    const gate = new SyncReplicaGate(
      haServer,
      resolved.syncReplicas,
      resolved.syncReplicaTimeoutMs,
      resolved.flush === 'sync',
    );
    context.writer.replicaGate = (end) => gate.waitFor(end);
  }
}

/** This broker's replication role and HA address (for replicas to find), and its status. */
function registerReplicationRequests(
  server: RemotingServer,
  resolved: ResolvedBrokerOptions,
  store: MessageStore,
  running: {
    haPort: number | undefined;
    haServer: ReplicationServer | undefined;
    follower: ReplicaFollower | undefined;
    control: ControlledRole | undefined;
  },
): void {
  const { haServer, follower, control } = running;
  const haAddress = running.haPort === undefined ? '' : advertisedHaAddress(resolved, running.haPort);
  const role = resolved.role;
  server.register(REQUEST_CODE.TRIBUTARY_REPLICATION_ADDRESS, (request) =>
    responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { haAddress, role }),
  );
  server.register(REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS, (request) =>
    responseTo(
      request,
      RESPONSE_CODE.SUCCESS,
      undefined,
      undefined,
      statusBody(resolved, store, haServer, follower, control),
    ),
  );
}

/**
 * A slave: its store read-only, and its follower (started once the requests are registered),
 * which appends what the master streams, then replays and wakes pulls.
 */
function followMaster(
  resolved: ResolvedBrokerOptions,
  context: BrokerContext,
  store: MessageStore,
  machines: readonly ReplicatedMachine[],
  control: ControlledRole | undefined,
): ReplicaFollower {
  store.setReadOnly(true);
  const identity = {
    brokerName: resolved.brokerName,
    nameServers: resolved.nameServers,
    segmentBytes: store.options.segmentBytes,
    replicaId: resolved.brokerId,
    epoch: control?.epoch ?? 0,
    locate: control?.locate,
    credentials: resolved.replicaCredentials,
  };
  const byName = new Map(machines.map((machine) => [machine.name, machine]));
  const follower = new ReplicaFollower(store, identity, {
    installSnapshot: ({ name, queueId, bytes }) => {
      const machine = byName.get(name);
      if (machine === undefined || machine.queueId !== queueId)
        throw new ReplicationFrameError('UNKNOWN_STATE_MACHINE', `${name} on state queue ${queueId}`);
      return machine.install(bytes);
    },
    appended: (result) => {
      for (const machine of machines) machine.catchUp();
      for (const queue of result.queues) context.holds.arrived(queue.topic, queue.queueId, queue.maxQueueOffset);
    },
    onError: resolved.onError,
    confirmed: () => context.replicaReads.readableGrew(),
  });
  if (control !== undefined) context.replicaReads.readableEnd = () => follower.confirmedEnd;
  return follower;
}

/**
 * Controller mode: every write acknowledgement first checks the master's lease (after the
 * replicas' acks, for a sync master), and the log gets this master's epoch record.
 */
async function fenceWrites(context: BrokerContext, control: ControlledRole): Promise<void> {
  const fence = control.fence;
  if (fence !== undefined) {
    const replicas = context.writer.replicaGate;
    context.writer.replicaGate = (end) => {
      fence.check();
      return (replicas?.(end) ?? Promise.resolve()).then(() => fence.check());
    };
  }
  await writeEpochRecord(context, control);
}

/** TRIBUTARY_REPLICATION_STATUS's JSON body (client/admin/admin-replication.ts reads it). */
function statusBody(
  resolved: ResolvedBrokerOptions,
  store: MessageStore,
  haServer: ReplicationServer | undefined,
  follower: ReplicaFollower | undefined,
  control: ControlledRole | undefined,
): Buffer {
  const inSync = new Set(haServer?.inSync(Date.now()) ?? []);
  const replicas = (haServer?.replicas ?? []).map((progress) => ({
    remote: progress.remote,
    replicaId: progress.replicaId,
    ackedOffset: progress.ackedOffset,
    flushedOffset: progress.flushedOffset,
    inSync: inSync.has(progress),
  }));
  const truncated = truncationCount(resolved.dataDirectory);
  const body = {
    role: resolved.role,
    epoch: control?.epoch,
    logEnd: store.commitLogMaxOffset,
    replicas,
    follower: follower?.state,
    ...truncated,
    snapshotsDiscarded: discardedSnapshots(path.join(resolved.dataDirectory, 'state')).length,
  };
  return Buffer.from(JSON.stringify(body));
}
