// Which client of a consumer group holds each queue, for orderly consumption (LOCK_BATCH_MQ,
// UNLOCK_BATCH_MQ). A lock lives `lifetimeMs` (60 s) after its holder last locked it. The holder
// renews every 20 s and stops consuming by itself 30 s after its last successful renewal, so the
// broker's lifetime covers the holder's own belief with 30 s to spare. A lock held by another
// client whose lock is still live is refused; an expired one is taken over.
//
// Restarts. The table of holders is a log-backed state machine (ARCHITECTURE.md §4): grants, unlocks
// and expiries are logged; renewals are not, because they change no holder and would cost a
// write per consumer every 20 s. A restarted broker therefore knows every holder but not when
// each last renewed, and counts every restored lock as renewed at recovery. So:
// - a live holder keeps its queues without a gap (it renews within 20 s of the restart);
// - no other client can lock a restored queue for one lifetime after recovery, which is longer
//   than any holder (renewing before the crash) can still believe it holds the queue (30 s);
// - a holder that died meanwhile blocks its queues for at most one lifetime after the restart.
// Dropping the table instead would let a second consumer lock a queue whose holder still
// consumes it for up to 30 s: two consumers on one queue, the one thing orderly mode forbids.
//
// Expired entries are removed (and the removal logged) by a sweep that runs on the lock path
// at most once per lifetime, so the table stays bounded by the queues locked within a lifetime.
import type { MessageStore } from '../../storage/index.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

export interface LockedQueue {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
}

interface LockEntry {
  readonly queue: LockedQueue;
  readonly clientId: string;
}

/** group -> queue key -> holder. */
type LockState = Map<string, Map<string, LockEntry>>;

/** 'grant' makes clientId the holder; 'release' removes entries only where clientId holds them. */
type LockCommand =
  | { op: 'grant'; group: string; clientId: string; queues: LockedQueue[] }
  | { op: 'release'; group: string; clientId: string; queues: LockedQueue[] };

type SnapshotRow = [group: string, entries: [topic: string, brokerName: string, queueId: number, clientId: string][]];

const definition: StateMachineDefinition<LockState, LockCommand> = {
  name: 'queue-locks',
  queueId: STATE_QUEUE.queueLock,
  initial: () => new Map(),
  apply(state, command) {
    let held = state.get(command.group);
    if (command.op === 'grant') {
      if (held === undefined) state.set(command.group, (held = new Map()));
      for (const queue of command.queues) held.set(queueKey(queue), { queue, clientId: command.clientId });
      return;
    }
    if (held === undefined) return;
    for (const queue of command.queues) {
      const key = queueKey(queue);
      if (held.get(key)?.clientId === command.clientId) held.delete(key);
    }
    if (held.size === 0) state.delete(command.group);
  },
  toSnapshot: (state): SnapshotRow[] =>
    [...state].map(([group, held]) => [
      group,
      [...held.values()].map(({ queue, clientId }) => [queue.topic, queue.brokerName, queue.queueId, clientId]),
    ]),
  fromSnapshot: (data) =>
    new Map(
      (data as SnapshotRow[]).map(([group, entries]) => [
        group,
        new Map(
          entries.map(([topic, brokerName, queueId, clientId]) => {
            const queue = { topic, brokerName, queueId };
            return [queueKey(queue), { queue, clientId }];
          }),
        ),
      ]),
    ),
};

function queueKey(queue: LockedQueue): string {
  return `${queue.topic}@${queue.brokerName}@${queue.queueId}`;
}

export class QueueLockManager {
  private readonly machine: LogBackedStateMachine<LockState, LockCommand>;
  /** "group\0queue key" -> when its holder last locked it (in memory only; see the header). */
  private readonly renewedAtMs = new Map<string, number>();
  private lastSweepMs: number;

  constructor(
    store: MessageStore,
    stateDirectory: string,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(lifetimeMs > 0)) throw new RangeError(`lock lifetime must be positive, got ${lifetimeMs}`);
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
    const recoveredAt = now();
    for (const [group, held] of this.machine.state)
      for (const key of held.keys()) this.renewedAtMs.set(renewalKey(group, key), recoveredAt);
    this.lastSweepMs = recoveredAt;
  }

  /**
   * Locks (or renews) `queues` for `clientId`; resolves with the queues it now holds, in request
   * order. The decision and the state change happen together, before any await, so concurrent
   * requests see each other. Resolves once a change of holder is stored as the flush mode
   * promises, so a granted lock survives a broker crash.
   */
  async lock(group: string, clientId: string, queues: readonly LockedQueue[]): Promise<LockedQueue[]> {
    const now = this.now();
    if (now - this.lastSweepMs >= this.lifetimeMs) this.sweep(now);
    const held = this.machine.state.get(group);
    const granted: LockedQueue[] = [];
    const changed: LockedQueue[] = [];
    const seen = new Set<string>();
    for (const queue of queues) {
      const key = queueKey(queue);
      if (seen.has(key)) continue;
      seen.add(key);
      const holder = held?.get(key)?.clientId;
      if (holder !== undefined && holder !== clientId && this.isLive(group, key, now)) continue;
      granted.push(queue);
      if (holder !== clientId) changed.push(queue);
    }
    const stored =
      changed.length === 0 ? undefined : this.machine.submit({ op: 'grant', group, clientId, queues: changed });
    for (const queue of granted) this.renewedAtMs.set(renewalKey(group, queueKey(queue)), now);
    await stored;
    return granted;
  }

  /** Releases the queues of `queues` that `clientId` holds; others' locks are left alone. */
  async unlock(group: string, clientId: string, queues: readonly LockedQueue[]): Promise<void> {
    const held = this.machine.state.get(group);
    const released = queues.filter((queue) => held?.get(queueKey(queue))?.clientId === clientId);
    if (released.length === 0) return;
    const stored = this.machine.submit({ op: 'release', group, clientId, queues: released });
    for (const queue of released) this.renewedAtMs.delete(renewalKey(group, queueKey(queue)));
    await stored;
  }

  /** The client holding a live lock on `queue` for `group`, if any. */
  holder(group: string, queue: LockedQueue): string | undefined {
    const key = queueKey(queue);
    const entry = this.machine.state.get(group)?.get(key);
    return entry !== undefined && this.isLive(group, key, this.now()) ? entry.clientId : undefined;
  }

  /** Every live lock of `group`. */
  locksOf(group: string): { queue: LockedQueue; clientId: string }[] {
    const now = this.now();
    const held = this.machine.state.get(group);
    if (held === undefined) return [];
    return [...held].filter(([key]) => this.isLive(group, key, now)).map(([, entry]) => ({ ...entry }));
  }

  get stateMachine(): LogBackedStateMachine<LockState, LockCommand> {
    return this.machine;
  }

  private isLive(group: string, key: string, now: number): boolean {
    const renewedAt = this.renewedAtMs.get(renewalKey(group, key));
    return renewedAt !== undefined && now - renewedAt <= this.lifetimeMs;
  }

  /** Logs the removal of every expired lock (fire and forget: an expired lock is as good as gone). */
  private sweep(now: number): void {
    this.lastSweepMs = now;
    for (const [group, held] of this.machine.state) {
      const expired = new Map<string, LockedQueue[]>();
      for (const [key, entry] of held) {
        if (this.isLive(group, key, now)) continue;
        const list = expired.get(entry.clientId) ?? [];
        list.push(entry.queue);
        expired.set(entry.clientId, list);
      }
      for (const [clientId, queues] of expired) {
        for (const queue of queues) this.renewedAtMs.delete(renewalKey(group, queueKey(queue)));
        void this.machine.submit({ op: 'release', group, clientId, queues }).catch(() => undefined);
      }
    }
  }
}

function renewalKey(group: string, key: string): string {
  return `${group}\u0000${key}`;
}
