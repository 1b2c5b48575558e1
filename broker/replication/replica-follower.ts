// A replica (role slave): finds its master through the name servers, connects to the master's
// HA port, says where its own log ends, and appends what the master streams at exactly the
// same offsets. The store verifies every record's position and CRC-32C and refuses a stream
// that does not continue its log; the state machines then replay the master's commands. An
// empty replica of a trimmed log is first sent the machines' snapshots, installed in arrival
// order before any record is appended (ARCHITECTURE.md, "Install snapshot").
import net from 'node:net';

import type { RemotingClient } from '../../client/remoting/remoting-client.js';
import { MAGIC_MESSAGE_V1, RECORD_LAYOUT } from '../../protocol/message-record-layout.js';
import type { MessageStore, ReplicatedAppend } from '../../storage/index.js';
import { REPLICA_RECONNECT_INTERVAL_MS, REPLICA_REPORT_INTERVAL_MS } from '../broker-constants.js';
import { findMaster, replicaLookupClient, splitAddress, type MasterLocation } from './find-master.js';
import { ReadArena } from './read-arena.js';
import { replicaAuthFrame } from './replica-auth.js';
import { ReplicaLagHistogram, type ReplicaLagSummary } from './replica-lag-histogram.js';
import { ReplicationFrameDecoder, encodeReplicationFrame, type ReplicationFrame } from './replication-frame.js';

export type SnapshotFrame = Extract<ReplicationFrame, { type: 'snapshot' }>;

export interface FollowerHooks {
  /** After each append: state machines catch up, held pulls wake. */
  appended(result: ReplicatedAppend): void;
  /** A state machine's snapshot from the master, before any record: installed durably, then loaded. */
  installSnapshot(frame: SnapshotFrame): Promise<void>;
  onError(error: unknown, context: string): void;
  /** The master's confirmed end grew (controller mode): reads parked on it may go on. */
  confirmed?(): void;
}

/** Who the replica is, and where its master is found. */
export interface FollowerIdentity {
  readonly brokerName: string;
  readonly nameServers: readonly string[];
  readonly segmentBytes: number;
  /** Its own broker id, sent in its hello. */
  readonly replicaId: number;
  /** The newest master epoch it knows (controller mode): a master with a lower one is refused. */
  readonly epoch: number;
  /** Controller mode: the master etcd elected; without it, broker id 0 of the name servers. */
  readonly locate?: () => Promise<MasterLocation | undefined>;
  /** Signs the lookups and the HA stream for a master with ACL on. */
  readonly credentials?: { accessKey: string; secretKey: string } | undefined;
}

/** What a replica knows of its master and how far it is (tests, status). */
export interface FollowerStatus {
  readonly masterAddress: string | undefined;
  readonly haAddress: string | undefined;
  readonly connected: boolean;
  /** The master's log end as of its last data frame. */
  readonly masterLogEnd: number;
  /** Why the master last refused this replica, if it did. */
  readonly refusal: string | undefined;
  readonly refusals: number;
  /** Controller mode: how far the master's in-sync replicas hold the log (what may be read here). */
  readonly confirmedEnd: number;
  /** State machine snapshots installed from the master (an empty replica of a trimmed log). */
  readonly snapshotsInstalled: number;
  /** Per record the master appended while this replica was connected, append to dispatch here (replica-lag-histogram.ts). */
  readonly lag: ReplicaLagSummary;
}

export class ReplicaFollower {
  private readonly lookup: RemotingClient;
  private socket: net.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private reportSoon = false;
  private appending: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly lag = new ReplicaLagHistogram();
  /** When this replica's current stream began (its hello): records stamped before it are catch-up, not lag. */
  private streamStartedAt = Number.POSITIVE_INFINITY;
  private status = {
    masterAddress: undefined as string | undefined,
    haAddress: undefined as string | undefined,
    connected: false,
    masterLogEnd: 0,
    refusal: undefined as string | undefined,
    refusals: 0,
    confirmedEnd: 0,
    snapshotsInstalled: 0,
  };

  constructor(
    private readonly store: MessageStore,
    private readonly identity: FollowerIdentity,
    private readonly hooks: FollowerHooks,
  ) {
    this.lookup = replicaLookupClient(identity.credentials);
  }

  /** How far this replica may serve reads in controller mode (FollowerStatus.confirmedEnd). */
  get confirmedEnd(): number {
    return this.status.confirmedEnd;
  }

  get state(): FollowerStatus {
    return { ...this.status, lag: this.lag.summary() };
  }

  start(): void {
    this.reportTimer = setInterval(() => this.report(), REPLICA_REPORT_INTERVAL_MS);
    this.reportTimer.unref();
    void this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.reportTimer);
    this.socket?.destroy();
    this.lookup.close();
    await this.appending;
  }

  private retrySoon(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, REPLICA_RECONNECT_INTERVAL_MS);
    this.timer.unref();
  }

  private async connect(): Promise<void> {
    let haAddress: string | undefined;
    try {
      haAddress = await this.findMaster();
    } catch (error) {
      this.hooks.onError(error, 'looking up the master (will keep retrying)');
    }
    if (haAddress === undefined || this.closed) {
      this.retrySoon();
      return;
    }
    this.status.haAddress = haAddress;
    const [host, port] = splitAddress(haAddress);
    const decoder = new ReplicationFrameDecoder();
    const arena = new ReadArena(decoder, () => this.appending);
    // Reads land in consecutive slices of one arena, so the decoder hands a large data frame on
    // as a view of them instead of joining its chunks (the records are then copied once, into
    // the mapping).
    const socket = net.connect({
      host,
      port,
      onread: {
        buffer: () => arena.free(),
        callback: (bytes, buffer) => {
          arena.used(bytes);
          try {
            decoder.push(Buffer.from(buffer.buffer, buffer.byteOffset, bytes), (frame) => {
              // A machine may keep its snapshot's bytes: their arena is never read into again.
              if (frame.type === 'snapshot') arena.keep();
              this.received(frame, socket);
            });
          } catch (error) {
            this.hooks.onError(error, `the stream from master ${haAddress}`);
            socket.destroy();
          }
          return true;
        },
      },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.status.connected = true;
      this.streamStartedAt = Date.now();
      const { credentials } = this.identity;
      const auth = credentials === undefined ? [] : encodeReplicationFrame(replicaAuthFrame(credentials));
      socket.write(Buffer.concat([...auth, ...encodeReplicationFrame(this.hello())]));
    });
    socket.on('error', () => undefined); // Its close follows; the follower reconnects then.
    socket.on('close', () => {
      this.status.connected = false;
      if (this.socket === socket) this.socket = undefined;
      this.retrySoon();
    });
  }

  private hello(): ReplicationFrame {
    const logEnd = this.store.commitLogMaxOffset;
    const last = this.store.lastRecordBefore(logEnd);
    return {
      type: 'hello',
      logEnd,
      lastOffset: last?.offset ?? -1,
      lastSize: last?.size ?? 0,
      lastChecksum: last?.checksum ?? 0,
      segmentBytes: this.identity.segmentBytes,
      brokerName: this.identity.brokerName,
      replicaId: this.identity.replicaId,
      epoch: this.identity.epoch,
    };
  }

  private received(frame: ReplicationFrame, socket: net.Socket): void {
    if (frame.type === 'refuse') {
      this.status.refusal = frame.text;
      this.status.refusals++;
      this.hooks.onError(new Error(`the master refused this replica: ${frame.text}`), 'replication');
      return;
    }
    if (frame.type === 'confirmed') {
      this.status.confirmedEnd = Math.max(this.status.confirmedEnd, frame.end);
      this.hooks.confirmed?.();
      return;
    }
    if (frame.type === 'epoch') {
      if (frame.epoch >= this.identity.epoch) return;
      // A deposed master still serving its HA port: its stream may hold what the new one never had.
      this.status.refusal = `the master's epoch ${frame.epoch} is older than ${this.identity.epoch}`;
      this.status.refusals++;
      socket.destroy();
      return;
    }
    if (frame.type === 'snapshot') {
      this.install(frame, socket);
      return;
    }
    if (frame.type !== 'data') {
      socket.destroy();
      return;
    }
    this.status.masterLogEnd = frame.masterLogEnd;
    // Frames are applied in arrival order; their bytes stay valid meanwhile (an arena is read
    // into again only once they are applied, read-arena.ts) and are copied once, into the
    // mapping. Nothing more is applied from a stream once one of its frames failed.
    this.appending = this.appending.then(async () => {
      if (this.closed || this.socket !== socket || socket.destroyed) return;
      try {
        const result = await this.store.appendReplicated(frame.fromOffset, frame.bytes);
        this.hooks.appended(result);
        this.recordLag(frame.bytes);
        this.reportOnce();
      } catch (error) {
        this.hooks.onError(error, `appending replicated records at ${frame.fromOffset}`);
        socket.destroy();
      }
    });
  }

  /** In arrival order with the data frames, so a machine has its snapshot before its first record. */
  private install(frame: SnapshotFrame, socket: net.Socket): void {
    this.appending = this.appending.then(async () => {
      if (this.closed || this.socket !== socket || socket.destroyed) return;
      try {
        await this.hooks.installSnapshot(frame);
        this.status.snapshotsInstalled++;
      } catch (error) {
        this.hooks.onError(error, `installing the master's ${frame.name} snapshot`);
        socket.destroy();
      }
    });
  }

  /**
   * Each record's lag: now (dispatched) less its store timestamp (the master's append). A record
   * the master appended before this stream began waited for the replica to connect: catching
   * up is not lag, and counting it made the first records after a start or reconnect the max.
   */
  private recordLag(bytes: Buffer): void {
    const now = Date.now();
    let position = 0;
    while (position + RECORD_LAYOUT.storeTimestamp + 8 <= bytes.length) {
      const size = bytes.readInt32BE(position);
      if (size <= 0 || bytes.readUInt32BE(position + RECORD_LAYOUT.magic) !== MAGIC_MESSAGE_V1) return;
      const at = position + RECORD_LAYOUT.storeTimestamp;
      const stored = bytes.readUInt32BE(at) * 2 ** 32 + bytes.readUInt32BE(at + 4);
      if (stored >= this.streamStartedAt) this.lag.record(now - stored);
      position += size;
    }
  }

  /** One report per tick however many frames it appended. */
  private reportOnce(): void {
    if (this.reportSoon) return;
    this.reportSoon = true;
    setImmediate(() => {
      this.reportSoon = false;
      this.report();
    });
  }

  private report(): void {
    const socket = this.socket;
    if (socket === undefined || !this.status.connected) return;
    const { maxOffset, flushedOffset } = this.store.stats();
    socket.write(encodeReplicationFrame({ type: 'report', logEnd: maxOffset, flushed: flushedOffset })[0]!);
  }

  private async findMaster(): Promise<string | undefined> {
    const { locate, nameServers, brokerName } = this.identity;
    const found = await (locate?.() ?? findMaster(this.lookup, nameServers, brokerName));
    if (found !== undefined) this.status.masterAddress = found.masterAddress;
    return found?.haAddress;
  }
}
