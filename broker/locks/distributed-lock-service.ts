// Distributed locks (issue 13): mutexes, read-write locks and semaphores with owner tokens,
// leases, FIFO waiters and fencing tokens. Who holds what is the log-backed table in
// broker/state/distributed-lock-table.ts; leases, their connections and the waiters live here,
// in memory.
//
// - A grant is logged and applied before the acquire is answered, so its fencing token is in
//   the log before any client sees it (see the table's header).
// - Only the token's owner may release or renew: a request names the owner token, and a token
//   that holds nothing is refused with LOCK_NOT_HELD.
// - A lease ends when its time runs out or its holder's connection closes, whichever is first.
//   Either way the release is logged and the next waiters are granted at once. On expiry the
//   holder, if still connected, is told with a oneway TRIBUTARY_LOCK_LOST.
// - Waiters queue in FIFO order per lock: a waiter is granted only when every waiter before it
//   was (so a writer is not starved by a stream of readers); an acquire request waits as a held
//   request, answered when granted or when its wait time runs out (LOCK_WAIT_TIMEOUT).
//
// Restarts. After a restart the table holds every granted lock, but every connection is new
// and waiters are gone (their requests failed with the connection). Each restored holder gets
// its full logged lease from recovery, bound to no connection: a holder that reconnects and
// renews by token keeps its lock (and is bound to its new connection), one that does not loses
// it when that lease runs out. No one else can take a restored lock sooner, which is what a
// holder that renewed just before the crash may still rely on.
import type { MessageStore } from '../../storage/index.js';
import type { Channel } from '../../server/remoting-server.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import {
  DISTRIBUTED_LOCK_FENCE_RESTART_GAP,
  DISTRIBUTED_LOCK_LIST_MAX,
  DISTRIBUTED_LOCK_PER_CONNECTION_MAX,
  DISTRIBUTED_LOCK_WAITERS_MAX,
} from '../broker-constants.js';
import { LogBackedStateMachine } from '../state/log-backed-state-machine.js';
import {
  DISTRIBUTED_LOCK_TABLE,
  admits,
  type LockKind,
  type LockMode,
  type LockTableCommand,
  type LockTableState,
} from '../state/distributed-lock-table.js';
import { DistributedLockError } from './distributed-lock-error.js';

export interface AcquireRequest {
  readonly name: string;
  readonly token: string;
  readonly kind: LockKind;
  readonly permits: number;
  readonly mode: LockMode;
  readonly leaseMs: number;
  /** 0: try-lock; undefined: wait until granted or the connection closes. */
  readonly waitMs: number | undefined;
}

export interface LockGrant {
  readonly name: string;
  readonly fence: number;
  readonly leaseMs: number;
  /** How long the request queued before the grant: the client's lease clock starts at least this late. */
  readonly waitedMs: number;
}

export interface LockStatus {
  readonly name: string;
  readonly kind: LockKind;
  readonly permits: number;
  /** Owner tokens are never shown: a token is what lets its owner release the lock. */
  readonly holders: { fence: number; mode: LockMode; leaseRemainingMs: number; address: string | undefined }[];
  readonly waiters: number;
}

/** What happened to leases and waiters since the broker started, for the metrics (plain numbers). */
export interface LockCounters {
  granted: number;
  /** Leases released by their owner. */
  released: number;
  /** Leases whose time ran out unrenewed. */
  expired: number;
  /** Leases ended because the holder's connection closed. */
  holderGone: number;
  /** Waiters whose wait time ran out before a grant. */
  waitTimedOut: number;
  /** Try-locks refused at once (LOCK_BUSY). */
  busy: number;
}

interface Lease {
  readonly name: string;
  readonly token: string;
  channel: Channel | undefined;
  timer: NodeJS.Timeout;
  expiresAtMs: number;
}

interface Waiter {
  readonly request: AcquireRequest;
  readonly channel: Channel;
  readonly resolve: (grant: LockGrant) => void;
  readonly reject: (error: Error) => void;
  readonly queuedAtMs: number;
  timer: NodeJS.Timeout | undefined;
}

export class DistributedLockService {
  private readonly machine: LogBackedStateMachine<LockTableState, LockTableCommand>;
  /** "name\0token" -> lease. */
  private readonly leases = new Map<string, Lease>();
  /** name -> waiters in arrival order. */
  private readonly waiters = new Map<string, Waiter[]>();
  /** Leases and waiters per connection, bounded by DISTRIBUTED_LOCK_PER_CONNECTION_MAX. */
  private readonly perChannel = new Map<Channel, number>();
  readonly counters: LockCounters = { granted: 0, released: 0, expired: 0, holderGone: 0, waitTimedOut: 0, busy: 0 };
  /** Resolves once the start's fencing advance is on disk; the broker awaits it before serving. */
  readonly started: Promise<void>;

  constructor(
    store: MessageStore,
    stateDirectory: string,
    private readonly onError: (error: unknown, context: string) => void,
    private readonly now: () => number = Date.now,
    /** False on a replica: it only replays its master's commands, so it leaps nor times nothing. */
    serving = true,
  ) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, DISTRIBUTED_LOCK_TABLE);
    if (!serving) {
      this.started = Promise.resolve();
      return;
    }
    // Flushed before the broker serves: a lost advance could let the next start reissue tokens.
    this.started = this.machine
      .submit({ op: 'advance', by: DISTRIBUTED_LOCK_FENCE_RESTART_GAP })
      .then(() => store.flush());
    for (const [name, lock] of this.machine.state.locks)
      for (const holder of lock.holders.values()) this.startLease(name, holder.token, holder.leaseMs, undefined);
  }

  get stateMachine(): LogBackedStateMachine<LockTableState, LockTableCommand> {
    return this.machine;
  }

  /** Grants now, or queues the request (unless a try-lock) until granted or timed out. */
  acquire(request: AcquireRequest, channel: Channel): Promise<LockGrant> {
    const { name, token } = request;
    const lock = this.machine.state.locks.get(name);
    const queue = this.waiters.get(name) ?? [];
    const shape = lock ?? queue[0]?.request;
    if (shape !== undefined && (shape.kind !== request.kind || shape.permits !== request.permits))
      throw new DistributedLockError(
        'LOCK_KIND_MISMATCH',
        `lock ${name} is a ${shape.kind} with ${shape.permits} permit(s), not a ${request.kind} with ${request.permits}`,
      );
    if ((this.perChannel.get(channel) ?? 0) >= DISTRIBUTED_LOCK_PER_CONNECTION_MAX)
      throw new DistributedLockError(
        'LOCK_TOO_MANY',
        `this connection holds or waits for ${DISTRIBUTED_LOCK_PER_CONNECTION_MAX} locks already`,
      );
    if (lock?.holders.has(token) === true || queue.some((w) => w.request.token === token))
      throw new DistributedLockError('LOCK_ALREADY_HELD', `this token already holds or waits for lock ${name}`);
    if (queue.length === 0 && admits(lock, request.mode)) return this.grant(request, channel, 0);
    if (request.waitMs === 0) {
      this.counters.busy++;
      throw new DistributedLockError('LOCK_BUSY', `lock ${name} is taken`);
    }
    if (queue.length >= DISTRIBUTED_LOCK_WAITERS_MAX)
      throw new DistributedLockError('LOCK_QUEUE_FULL', `${DISTRIBUTED_LOCK_WAITERS_MAX} waiters queue for ${name}`);
    return new Promise<LockGrant>((resolve, reject) => {
      const waiter: Waiter = { request, channel, resolve, reject, queuedAtMs: this.now(), timer: undefined };
      if (request.waitMs !== undefined)
        waiter.timer = setTimeout(() => this.giveUp(waiter, request.waitMs!), request.waitMs);
      queue.push(waiter);
      this.count(channel, 1);
      this.waiters.set(name, queue);
    });
  }

  /** Releases the lease `token` holds on `name`; LOCK_NOT_HELD when it holds none. */
  async release(name: string, token: string): Promise<void> {
    this.holderOf(name, token);
    this.counters.released++;
    await this.end(name, token);
  }

  /** Restarts the lease (for `leaseMs`, or its own length) and binds it to `channel`. */
  renew(name: string, token: string, leaseMs: number | undefined, channel: Channel): LockGrant {
    const holder = this.holderOf(name, token);
    const ms = leaseMs ?? holder.leaseMs;
    this.stopLease(name, token);
    this.startLease(name, token, ms, channel);
    return { name, fence: holder.fence, leaseMs: ms, waitedMs: 0 };
  }

  status(name: string): LockStatus | undefined {
    const lock = this.machine.state.locks.get(name);
    if (lock === undefined) return undefined;
    const now = this.now();
    return {
      name,
      kind: lock.kind,
      permits: lock.permits,
      holders: [...lock.holders.values()].map((holder) => {
        const lease = this.leases.get(leaseKey(name, holder.token));
        return {
          fence: holder.fence,
          mode: holder.mode,
          leaseRemainingMs: Math.max(0, (lease?.expiresAtMs ?? now) - now),
          address: lease?.channel?.remoteAddress,
        };
      }),
      waiters: this.waiters.get(name)?.length ?? 0,
    };
  }

  /** Requests queued for a grant now, over all locks. */
  get waiterCount(): number {
    let count = 0;
    for (const queue of this.waiters.values()) count += queue.length;
    return count;
  }

  /** Every held lock (at most DISTRIBUTED_LOCK_LIST_MAX), by name. */
  list(): LockStatus[] {
    const names = [...this.machine.state.locks.keys()].sort().slice(0, DISTRIBUTED_LOCK_LIST_MAX);
    return names.map((name) => this.status(name)!);
  }

  /** The holder's connection closed: its leases end, its waiters leave the queues. */
  channelClosed(channel: Channel): void {
    for (const [name, queue] of this.waiters) {
      const left = queue.filter((waiter) => waiter.channel !== channel);
      for (const waiter of queue)
        if (waiter.channel === channel) {
          this.count(channel, -1);
          clearTimeout(waiter.timer);
          waiter.reject(new DistributedLockError('LOCK_WAIT_TIMEOUT', 'the connection closed'));
        }
      if (left.length === queue.length) continue;
      this.waiters.set(name, left);
      this.wake(name);
    }
    for (const lease of [...this.leases.values()])
      if (lease.channel === channel) {
        this.counters.holderGone++;
        this.endQuietly(lease.name, lease.token, 'the holder connection closed');
      }
    this.perChannel.delete(channel);
  }

  /** Stops every timer and fails every waiter (broker shutdown). */
  close(): void {
    for (const lease of this.leases.values()) clearTimeout(lease.timer);
    this.leases.clear();
    for (const queue of this.waiters.values())
      for (const waiter of queue) {
        clearTimeout(waiter.timer);
        waiter.reject(new DistributedLockError('LOCK_WAIT_TIMEOUT', 'the broker is shutting down'));
      }
    this.waiters.clear();
    this.perChannel.clear();
  }

  private async grant(request: AcquireRequest, channel: Channel, waitedMs: number): Promise<LockGrant> {
    const { name, token, kind, permits, mode, leaseMs } = request;
    // submit applies at once: the fence is the counter's new value, the next admits() sees it.
    const stored = this.machine.submit({ op: 'grant', name, kind, permits, token, mode, leaseMs });
    const fence = this.machine.state.lastFence;
    this.counters.granted++;
    this.startLease(name, token, leaseMs, channel);
    await stored;
    return { name, fence, leaseMs, waitedMs };
  }

  private holderOf(name: string, token: string): { fence: number; leaseMs: number } {
    const holder = this.machine.state.locks.get(name)?.holders.get(token);
    if (holder === undefined || !this.leases.has(leaseKey(name, token)))
      throw new DistributedLockError('LOCK_NOT_HELD', `this token holds no lease on lock ${name}`);
    return holder;
  }

  /** Logs the release, then grants the waiters it admits. */
  private async end(name: string, token: string): Promise<void> {
    this.stopLease(name, token);
    const stored = this.machine.submit({ op: 'release', name, token });
    this.wake(name);
    await stored;
  }

  private endQuietly(name: string, token: string, why: string): void {
    this.end(name, token).catch((error: unknown) => this.onError(error, `releasing lock ${name} (${why})`));
  }

  /** Grants queued waiters from the head while the lock admits them. */
  private wake(name: string): void {
    const queue = this.waiters.get(name);
    if (queue === undefined) return;
    while (queue.length > 0 && admits(this.machine.state.locks.get(name), queue[0]!.request.mode)) {
      const waiter = queue.shift()!;
      this.count(waiter.channel, -1);
      clearTimeout(waiter.timer);
      if (waiter.channel.isClosed) continue;
      const waitedMs = this.now() - waiter.queuedAtMs;
      this.grant(waiter.request, waiter.channel, waitedMs).then(waiter.resolve, waiter.reject);
    }
    if (queue.length === 0) this.waiters.delete(name);
  }

  private giveUp(waiter: Waiter, waitMs: number): void {
    const { name } = waiter.request;
    const queue = this.waiters.get(name);
    const at = queue?.indexOf(waiter) ?? -1;
    if (at < 0) return;
    queue!.splice(at, 1);
    this.count(waiter.channel, -1);
    this.counters.waitTimedOut++;
    waiter.reject(new DistributedLockError('LOCK_WAIT_TIMEOUT', `lock ${name} not granted within ${waitMs} ms`));
    // A writer that gave up may have been all that held back the readers behind it.
    this.wake(name);
  }

  private startLease(name: string, token: string, leaseMs: number, channel: Channel | undefined): void {
    const timer = setTimeout(() => this.expire(name, token), leaseMs);
    timer.unref();
    if (channel !== undefined) this.count(channel, 1);
    this.leases.set(leaseKey(name, token), { name, token, channel, timer, expiresAtMs: this.now() + leaseMs });
  }

  private stopLease(name: string, token: string): void {
    const key = leaseKey(name, token);
    const lease = this.leases.get(key);
    if (lease === undefined) return;
    clearTimeout(lease.timer);
    if (lease.channel !== undefined) this.count(lease.channel, -1);
    this.leases.delete(key);
  }

  private count(channel: Channel, delta: number): void {
    const next = (this.perChannel.get(channel) ?? 0) + delta;
    if (next > 0) this.perChannel.set(channel, next);
    else this.perChannel.delete(channel);
  }

  private expire(name: string, token: string): void {
    const lease = this.leases.get(leaseKey(name, token));
    const fence = this.machine.state.locks.get(name)?.holders.get(token)?.fence;
    if (lease?.channel !== undefined && !lease.channel.isClosed) {
      const body = Buffer.from(JSON.stringify({ name, token, fence, reason: 'expired' }));
      lease.channel.sendOneway(REQUEST_CODE.TRIBUTARY_LOCK_LOST, {}, body);
    }
    this.counters.expired++;
    this.endQuietly(name, token, 'lease expired');
  }
}

function leaseKey(name: string, token: string): string {
  return `${name}\u0000${token}`;
}
