// A master's HA port: each replica connects, says where its log ends (hello), and receives the
// commit log from there (an empty replica: from this log's first offset) as raw record bytes
// read straight from the master's mapping. Its reports say how far it holds the log; the
// in-sync set (sync-master) is derived from them. An empty replica of a log retention trimmed
// is first sent every state machine's snapshot (install snapshot: the commands folded into
// them may be gone from the log). With ACL on, a peer gets nothing before its signed auth
// frame passes (replica-auth.ts).
import net from 'node:net';

import type { RemotingCommand } from '../../protocol/remoting-command.js';
import type { MessageStore } from '../../storage/index.js';
import {
  REPLICA_IN_SYNC_LAG_BYTES_MAX,
  REPLICA_IN_SYNC_SILENCE_MS_MAX,
  REPLICATION_IDLE_POLL_MS,
} from '../broker-constants.js';
import {
  REFUSE_REASON,
  REPLICATION_SNAPSHOT_BYTES_MAX,
  REPLICATION_TRANSFER_BYTES_MAX,
  ReplicationFrameDecoder,
  encodeReplicationFrame,
  type ReplicationFrame,
} from './replication-frame.js';
import { replicaAuthRequest } from './replica-auth.js';

type Hello = Extract<ReplicationFrame, { type: 'hello' }>;

/** One state machine's snapshot as of now (LogBackedStateMachine.currentSnapshot). */
export interface MachineSnapshot {
  readonly name: string;
  readonly queueId: number;
  readonly bytes: Buffer;
}

/** One connected replica as the master sees it. */
export interface ReplicaProgress {
  readonly remote: string;
  /** The replica's own broker id, as its hello said. */
  readonly replicaId: number;
  /** Everything before it is in the replica's log (its last report). */
  readonly ackedOffset: number;
  readonly flushedOffset: number;
  readonly lastReportAt: number;
}

export class ReplicationServer {
  private readonly server: net.Server;
  private readonly sessions = new Set<ReplicaSession>();
  private readonly ackWaiters = new Set<() => void>();
  private closed = false;
  private wakeScheduled = false;
  private confirmedEnd = 0;
  /** This master's epoch (controller mode; 0 with static roles), sent to each replica it accepts. */
  epoch = 0;
  /**
   * Which replicas may count as in sync (controller mode: those published to etcd as eligible
   * to succeed this master, so no ack counts a replica that could not win an election).
   */
  admit: (replica: ReplicaProgress) => boolean = () => true;
  /** Every state machine's snapshot as of now (install snapshot); none on a bare store. */
  snapshots: () => readonly MachineSnapshot[] = () => [];

  constructor(
    private readonly store: MessageStore,
    private readonly brokerName: string,
    private readonly segmentBytes: number,
    private readonly onError: (error: unknown, context: string) => void,
    /** With ACL on: why a peer may not be streamed the log (replica-auth.ts), else undefined. */
    private readonly authorize?: (signed: RemotingCommand | undefined, remoteAddress: string) => string | undefined,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  get replicas(): ReplicaProgress[] {
    return [...this.sessions].filter((session) => session.following);
  }

  /**
   * Replicas in sync at `now`: reported within REPLICA_IN_SYNC_SILENCE_MS_MAX and no further
   * than REPLICA_IN_SYNC_LAG_BYTES_MAX behind the log end. A replica leaves the set when it
   * falls past either bound and is back in as soon as a report brings it within both.
   */
  inSync(now: number, admittedOnly = true): ReplicaProgress[] {
    const end = this.store.commitLogMaxOffset;
    return this.replicas.filter(
      (replica) =>
        now - replica.lastReportAt <= REPLICA_IN_SYNC_SILENCE_MS_MAX &&
        end - replica.ackedOffset <= REPLICA_IN_SYNC_LAG_BYTES_MAX &&
        (!admittedOnly || this.admit(replica)),
    );
  }

  /**
   * Controller mode (epoch > 0): tells every replica how far the in-sync replicas hold the log
   * when that grows (and a new one at once), so replicas serve consumers no further.
   */
  private confirm(): void {
    if (this.epoch === 0) return;
    const end = this.replicatedEnd(Date.now());
    const grew = end > this.confirmedEnd;
    this.confirmedEnd = Math.max(end, this.confirmedEnd);
    for (const session of this.sessions) if (grew || !session.confirmedSent) session.sendConfirmed(this.confirmedEnd);
  }

  /** The furthest any in-sync replica holds the log (0 with none): what survives this master's loss. */
  replicatedEnd(now: number): number {
    return Math.max(0, ...this.inSync(now).map((replica) => replica.ackedOffset));
  }

  /** New records are in the log: replicas waiting for them are sent them in this tick's end, not after the idle poll. */
  wake(): void {
    // A master with no replica (every standalone broker) pays nothing per append.
    if (this.wakeScheduled || this.sessions.size === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      for (const session of this.sessions) session.wake();
    });
  }

  /** Called on every replica report (sync-master waiters recheck then). */
  onReport(listener: () => void): () => void {
    this.ackWaiters.add(listener);
    return () => this.ackWaiters.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const session of this.sessions) session.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const authorize = this.authorize;
    const session = new ReplicaSession(
      socket,
      this.store,
      authorize === undefined ? undefined : (signed) => authorize(signed, socket.remoteAddress ?? ''),
      (hello) => this.refusal(hello),
      (hello) => this.snapshotsFor(hello),
      this.epoch,
      () => {
        for (const listener of this.ackWaiters) listener();
        this.confirm();
      },
    );
    this.sessions.add(session);
    socket.on('close', () => {
      this.sessions.delete(session);
      session.close();
      for (const listener of this.ackWaiters) listener();
    });
    socket.on('error', (error) => this.onError(error, `replica connection from ${session.remote}`));
  }

  /**
   * What a replica must install before the log (sent in the hello's tick, so every command
   * after them is in the stream): the machines' snapshots for an empty replica when retention
   * trimmed this log, since commands folded into snapshots may be gone; nothing otherwise.
   */
  private snapshotsFor(hello: Hello): readonly MachineSnapshot[] {
    return isEmpty(hello) && this.store.stats().minOffset > 0 ? this.snapshots() : [];
  }

  /** Why the master will not serve a replica, or undefined when it will. */
  private refusal(hello: Hello): { reason: number; text: string } | undefined {
    if (hello.epoch > this.epoch)
      return {
        reason: REFUSE_REASON.staleEpoch,
        text: `this master's epoch ${this.epoch} is older than ${hello.epoch}`,
      };
    if (hello.brokerName !== this.brokerName)
      return { reason: REFUSE_REASON.wrongBroker, text: `this is ${this.brokerName}, not ${hello.brokerName}` };
    if (hello.segmentBytes !== this.segmentBytes)
      return {
        reason: REFUSE_REASON.segmentSize,
        text: `segments here are ${this.segmentBytes} bytes, the replica's ${hello.segmentBytes}`,
      };
    const end = this.store.commitLogMaxOffset;
    if (hello.logEnd > end)
      return {
        reason: REFUSE_REASON.diverged,
        text: `the replica's log ends at ${hello.logEnd}, past this log's ${end}`,
      };
    if (hello.lastOffset >= 0) {
      const mine = this.store.lastRecordBefore(hello.lastOffset + hello.lastSize);
      if (mine === undefined || mine.offset !== hello.lastOffset || mine.checksum !== hello.lastChecksum)
        return {
          reason: REFUSE_REASON.diverged,
          text: `the replica's record at ${hello.lastOffset} is not this log's`,
        };
    }
    // An empty replica starts where this log does (startOffset); one that ends before it cannot.
    const { minOffset } = this.store.stats();
    if (hello.logEnd < minOffset && !isEmpty(hello))
      return { reason: REFUSE_REASON.offsetGone, text: `this log starts at ${minOffset}` };
    return undefined;
  }
}

/** Streams the log to one replica and tracks its reports. */
class ReplicaSession implements ReplicaProgress {
  readonly remote: string;
  replicaId = -1;
  following = false;
  confirmedSent = false;
  ackedOffset = 0;
  flushedOffset = 0;
  lastReportAt = 0;
  private sentOffset = 0;
  private closed = false;
  private readonly decoder = new ReplicationFrameDecoder();
  private timer: NodeJS.Timeout | undefined;
  private authorized: boolean;

  constructor(
    private readonly socket: net.Socket,
    private readonly store: MessageStore,
    /** Undefined without ACL; otherwise asked once, before any probe or hello is answered. */
    private readonly authorize: ((signed: RemotingCommand | undefined) => string | undefined) | undefined,
    private readonly refusal: (hello: Hello) => { reason: number; text: string } | undefined,
    private readonly snapshots: (hello: Hello) => readonly MachineSnapshot[],
    private readonly epoch: number,
    private readonly reported: () => void,
  ) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.authorized = authorize === undefined;
    socket.on('data', (chunk) => {
      try {
        this.decoder.push(chunk, (frame) => this.received(frame));
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket.destroy();
  }

  sendConfirmed(end: number): void {
    if (!this.following || this.closed) return;
    this.confirmedSent = true;
    this.socket.write(encodeReplicationFrame({ type: 'confirmed', end })[0]!);
  }

  /** Pumps now if idle-polling (not while the socket is full: its drain pumps). */
  wake(): void {
    if (this.timer === undefined || this.closed) return;
    clearTimeout(this.timer);
    this.pump();
  }

  private received(frame: ReplicationFrame): void {
    if (this.closed) return;
    if (!this.authorized && (frame.type === 'auth' || frame.type === 'probe' || frame.type === 'hello')) {
      // Nothing of the log, not even a probe result, before the peer is authorized.
      const refused = this.authorize?.(frame.type === 'auth' ? replicaAuthRequest(frame) : undefined);
      if (refused !== undefined) {
        this.refuse({ reason: REFUSE_REASON.unauthorized, text: refused });
        return;
      }
      this.authorized = true;
      if (frame.type === 'auth') return;
    }
    if (frame.type === 'auth' && !this.following) {
      return; // A master without ACL takes a signed replica as any other.
    } else if (frame.type === 'probe' && !this.following) {
      const mine = this.store.lastRecordBefore(frame.offset + frame.size);
      const matches = mine?.offset === frame.offset && mine.size === frame.size && mine.checksum === frame.checksum;
      const answer = { type: 'probe-result' as const, matches, masterLogEnd: this.store.commitLogMaxOffset };
      this.socket.write(encodeReplicationFrame(answer)[0]!);
    } else if (frame.type === 'hello' && !this.following) {
      const refused = this.refusal(frame);
      if (refused !== undefined) {
        this.refuse(refused);
        return;
      }
      const snapshots = this.snapshots(frame);
      const tooLarge = snapshots.find((snapshot) => snapshot.bytes.length > REPLICATION_SNAPSHOT_BYTES_MAX);
      if (tooLarge !== undefined) {
        const text = `the ${tooLarge.name} snapshot is ${tooLarge.bytes.length} bytes, over ${REPLICATION_SNAPSHOT_BYTES_MAX}`;
        this.refuse({ reason: REFUSE_REASON.snapshotTooLarge, text });
        return;
      }
      this.following = true;
      this.replicaId = frame.replicaId;
      this.socket.write(encodeReplicationFrame({ type: 'epoch', epoch: this.epoch })[0]!);
      const logEnd = this.store.commitLogMaxOffset;
      for (const { name, queueId, bytes } of snapshots)
        for (const part of encodeReplicationFrame({ type: 'snapshot', logEnd, queueId, name, bytes }))
          this.socket.write(part);
      this.sentOffset = startOffset(frame, this.store.stats().minOffset);
      this.ackedOffset = frame.logEnd;
      this.lastReportAt = Date.now();
      this.reported();
      this.pump();
    } else if (frame.type === 'report' && this.following) {
      this.ackedOffset = frame.logEnd;
      this.flushedOffset = frame.flushed;
      this.lastReportAt = Date.now();
      this.reported();
    } else {
      this.socket.destroy(new Error(`unexpected ${frame.type} frame from replica ${this.remote}`));
    }
  }

  /** Says why and closes; the peer gets nothing else. */
  private refuse(refused: { reason: number; text: string }): void {
    this.closed = true;
    for (const part of encodeReplicationFrame({ type: 'refuse', ...refused })) this.socket.write(part);
    this.socket.end();
  }

  /** Sends what the log has past sentOffset, chunk by chunk, pausing while the socket is full. */
  private pump(): void {
    this.timer = undefined;
    // Each frame's header and records leave in one write (writev) with the frames before them.
    this.socket.cork();
    try {
      this.pumpCorked();
    } finally {
      this.socket.uncork();
    }
  }

  private pumpCorked(): void {
    while (!this.closed) {
      let chunk: ReturnType<MessageStore['encodedFrom']>;
      try {
        chunk = this.store.encodedFrom(this.sentOffset, REPLICATION_TRANSFER_BYTES_MAX);
      } catch (error) {
        this.socket.destroy(error as Error);
        return;
      }
      if (chunk === undefined) {
        this.timer = setTimeout(() => this.pump(), REPLICATION_IDLE_POLL_MS);
        return;
      }
      const { bytes, next, release } = chunk;
      const frame = { type: 'data', fromOffset: this.sentOffset, masterLogEnd: this.store.commitLogMaxOffset, bytes };
      const [head, body] = encodeReplicationFrame(frame as ReplicationFrame);
      this.socket.write(head!);
      const room = this.socket.write(body!, () => release());
      this.sentOffset = next;
      if (!room) {
        this.socket.once('drain', () => this.pump());
        return;
      }
    }
  }
}

function isEmpty(hello: Hello): boolean {
  return hello.logEnd === 0 && hello.lastOffset < 0;
}

/**
 * Where the stream to a replica starts: its log end, or for an empty replica this log's first
 * offset, which retention may have moved past 0 (RocketMQ's master does the same); the
 * replica's log then begins with that segment.
 */
function startOffset(hello: Hello, minOffset: number): number {
  return isEmpty(hello) ? minOffset : hello.logEnd;
}
