// Who holds each distributed lock, and the fencing counter (broker/locks/, issue 13), as a
// log-backed state machine (ARCHITECTURE.md §4). Grants and releases (by the owner, by lease
// expiry, by the holder's connection closing) are logged; renewals are not: they change no
// holder, and leases are restarted at recovery anyway (distributed-lock-service.ts).
//
// Fencing tokens. Every grant takes the next value of one counter shared by all locks, so the
// tokens of one lock strictly increase. The counter is state: the grant command that advanced it
// is in the commit log before the broker answers the acquire, and replay re-advances it, so a
// token once handed out is never handed out again, whatever crash or restart follows. (An
// acquire whose command was lost in a crash was never answered, so its token was never seen.)
// Under async flush an OS crash or power loss can take back commands that were answered (the
// last ~500 ms); so every broker start logs an 'advance' that leaps the counter by
// DISTRIBUTED_LOCK_FENCE_RESTART_GAP, putting every new token above any such lost one.
import { STATE_QUEUE } from '../broker-constants.js';
import type { StateMachineDefinition } from './log-backed-state-machine.js';

/** mutex: one holder; rw: many readers or one writer; semaphore: up to `permits` holders. */
export type LockKind = 'mutex' | 'rw' | 'semaphore';
/** 'write' for mutex holders and rw writers, 'read' for rw readers, 'permit' for semaphores. */
export type LockMode = 'read' | 'write' | 'permit';

export interface LockHolder {
  readonly token: string;
  readonly mode: LockMode;
  readonly leaseMs: number;
  readonly fence: number;
}

export interface HeldLock {
  readonly kind: LockKind;
  readonly permits: number;
  readonly holders: Map<string, LockHolder>;
}

export interface LockTableState {
  /** The last fencing token handed out (0: none yet). */
  lastFence: number;
  readonly locks: Map<string, HeldLock>;
}

export type LockTableCommand =
  | { op: 'grant'; name: string; kind: LockKind; permits: number; token: string; mode: LockMode; leaseMs: number }
  | { op: 'release'; name: string; token: string }
  /** At a broker start: see DISTRIBUTED_LOCK_FENCE_RESTART_GAP. */
  | { op: 'advance'; by: number };

type SnapshotLock = [name: string, kind: LockKind, permits: number, holders: [string, LockMode, number, number][]];
interface Snapshot {
  lastFence: number;
  locks: SnapshotLock[];
}

export const DISTRIBUTED_LOCK_TABLE: StateMachineDefinition<LockTableState, LockTableCommand> = {
  name: 'distributed-locks',
  queueId: STATE_QUEUE.distributedLock,
  initial: () => ({ lastFence: 0, locks: new Map() }),
  apply(state, command) {
    if (command.op === 'advance') {
      state.lastFence += command.by;
      return;
    }
    if (command.op === 'grant') {
      let lock = state.locks.get(command.name);
      if (lock === undefined) {
        lock = { kind: command.kind, permits: command.permits, holders: new Map() };
        state.locks.set(command.name, lock);
      }
      const fence = ++state.lastFence;
      lock.holders.set(command.token, { token: command.token, mode: command.mode, leaseMs: command.leaseMs, fence });
      return;
    }
    const lock = state.locks.get(command.name);
    if (lock === undefined) return;
    lock.holders.delete(command.token);
    if (lock.holders.size === 0) state.locks.delete(command.name);
  },
  toSnapshot: (state): Snapshot => ({
    lastFence: state.lastFence,
    locks: [...state.locks].map(([name, lock]) => [
      name,
      lock.kind,
      lock.permits,
      [...lock.holders.values()].map((h) => [h.token, h.mode, h.leaseMs, h.fence]),
    ]),
  }),
  fromSnapshot: (data) => {
    const snapshot = data as Snapshot;
    const locks = new Map<string, HeldLock>();
    for (const [name, kind, permits, holders] of snapshot.locks)
      locks.set(name, {
        kind,
        permits,
        holders: new Map(holders.map(([token, mode, leaseMs, fence]) => [token, { token, mode, leaseMs, fence }])),
      });
    return { lastFence: snapshot.lastFence, locks };
  },
};

/** Whether `lock` (absent: free) admits one more holder in `mode` now. */
export function admits(lock: HeldLock | undefined, mode: LockMode): boolean {
  if (lock === undefined) return true;
  if (lock.kind === 'semaphore') return lock.holders.size < lock.permits;
  if (lock.kind === 'mutex' || mode === 'write') return lock.holders.size === 0;
  for (const holder of lock.holders.values()) if (holder.mode === 'write') return false;
  return true;
}
