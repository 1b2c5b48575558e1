// Unique ids (ARCHITECTURE.md §2, state queue 8): named sequences that hand out ranges, and
// snowflake worker id leases, as one log-backed state machine (ARCHITECTURE.md §4).
//
// Segment mode. A sequence is (next, step). TAKE of N answers [next, next + N*step) and moves
// next past it. The decision and the state change happen in the same tick (concurrent takes see
// each other) and the answer is sent only after the command is stored, so no range is ever
// answered twice: not across clients, not across restarts, not across a crash (a range whose
// command was not stored was never answered). Ids are JavaScript safe integers (< 2^53): a
// range past that is refused, never wrapped.
//
// Snowflake mode. A worker id of a space is leased to a holder (a random token) until an
// absolute broker time. The lease is a logged command, so a restarted broker keeps every live
// lease. A worker id goes to another holder only ID_WORKER_REUSE_MARGIN_MS after its lease
// expired, a margin larger than the clock skew allowed between generators. A holder renews
// before expiry; an expired lease cannot be renewed (its holder stopped generating at its own
// deadline, which falls before the broker's because it counts from before the request).
import type { MessageStore } from '../../storage/index.js';
import {
  ID_RANGE_COUNT_MAX,
  ID_SEQUENCES_MAX,
  ID_WORKER_COUNT_MAX,
  ID_WORKER_LEASE_TTL_MS_MAX,
  ID_WORKER_LEASE_TTL_MS_MIN,
  ID_WORKER_REUSE_MARGIN_MS,
  STATE_QUEUE,
} from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

interface Sequence {
  next: number;
  readonly step: number;
}

interface WorkerLease {
  readonly holder: string;
  readonly expiresAtMs: number;
}

interface IdState {
  readonly sequences: Map<string, Sequence>;
  /** space -> worker id -> lease. */
  readonly workers: Map<string, Map<number, WorkerLease>>;
}

type IdCommand =
  | { op: 'create'; name: string; start: number; step: number }
  | { op: 'take'; name: string; count: number }
  | { op: 'lease'; space: string; workerId: number; holder: string; expiresAtMs: number }
  | { op: 'release'; space: string; workerId: number; holder: string; atMs: number };

type SnapshotData = {
  sequences: [name: string, next: number, step: number][];
  workers: [space: string, workerId: number, holder: string, expiresAtMs: number][];
};

const definition: StateMachineDefinition<IdState, IdCommand> = {
  name: 'id-sequences',
  queueId: STATE_QUEUE.uniqueIds,
  initial: () => ({ sequences: new Map(), workers: new Map() }),
  apply(state, command) {
    switch (command.op) {
      case 'create':
        if (!state.sequences.has(command.name))
          state.sequences.set(command.name, { next: command.start, step: command.step });
        return;
      case 'take': {
        const sequence = state.sequences.get(command.name);
        if (sequence !== undefined) sequence.next += command.count * sequence.step;
        return;
      }
      case 'lease': {
        let space = state.workers.get(command.space);
        if (space === undefined) state.workers.set(command.space, (space = new Map()));
        space.set(command.workerId, { holder: command.holder, expiresAtMs: command.expiresAtMs });
        return;
      }
      case 'release': {
        const space = state.workers.get(command.space);
        const lease = space?.get(command.workerId);
        // A released lease counts as expired now: the reuse margin still applies.
        if (lease?.holder === command.holder)
          space!.set(command.workerId, { holder: '', expiresAtMs: Math.min(lease.expiresAtMs, command.atMs) });
      }
    }
  },
  toSnapshot: (state): SnapshotData => ({
    sequences: [...state.sequences].map(([name, { next, step }]) => [name, next, step]),
    workers: [...state.workers].flatMap(([space, leases]) =>
      [...leases].map(([workerId, lease]): SnapshotData['workers'][number] => [
        space,
        workerId,
        lease.holder,
        lease.expiresAtMs,
      ]),
    ),
  }),
  fromSnapshot: (data) => {
    const { sequences, workers } = data as SnapshotData;
    const state = definition.initial();
    for (const [name, next, step] of sequences) state.sequences.set(name, { next, step });
    for (const [space, workerId, holder, expiresAtMs] of workers)
      definition.apply(state, { op: 'lease', space, workerId, holder, expiresAtMs });
    return state;
  },
};

/** Stable codes of what IdSequences refuses; the processor puts the code first in its remark. */
export type IdRefusalCode =
  | 'ID_SEQUENCE_NOT_FOUND'
  | 'ID_SEQUENCE_EXISTS'
  | 'ID_SEQUENCE_EXHAUSTED'
  | 'ID_WORKERS_EXHAUSTED'
  | 'ID_LEASE_LOST'
  | 'INVALID_ARGUMENT';

export class IdRefusal extends Error {
  override readonly name = 'IdRefusal';
  constructor(
    readonly code: IdRefusalCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

export interface IdRange {
  readonly first: number;
  readonly step: number;
  readonly count: number;
}

export interface WorkerGrant {
  readonly workerId: number;
  readonly expiresAtMs: number;
}

/** Ranges and worker leases handed out since the broker started (plain numbers, for the metrics). */
export interface IdCounters {
  /** Ranges (segments) answered to TAKE. */
  segments: number;
  /** Ids in those ranges. */
  ids: number;
  /** Worker id leases granted or renewed. */
  leases: number;
  /** Lease requests refused because every worker id of the space was leased. */
  leasesRefused: number;
}

export class IdSequences {
  private readonly machine: LogBackedStateMachine<IdState, IdCommand>;
  readonly counters: IdCounters = { segments: 0, ids: 0, leases: 0, leasesRefused: 0 };

  constructor(
    store: MessageStore,
    stateDirectory: string,
    private readonly now: () => number = Date.now,
  ) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  get stateMachine(): LogBackedStateMachine<IdState, IdCommand> {
    return this.machine;
  }

  /** Creates `name`; the same start and step again is a no-op, a different one is refused. */
  async create(name: string, start: number, step: number): Promise<void> {
    if (!Number.isSafeInteger(start) || start < 0) throw new IdRefusal('INVALID_ARGUMENT', 'start must be >= 0');
    if (!Number.isSafeInteger(step) || step < 1) throw new IdRefusal('INVALID_ARGUMENT', 'step must be >= 1');
    const existing = this.machine.state.sequences.get(name);
    if (existing !== undefined) {
      if (existing.step !== step)
        throw new IdRefusal('ID_SEQUENCE_EXISTS', `${name} exists with step ${existing.step}`);
      return;
    }
    if (this.machine.state.sequences.size >= ID_SEQUENCES_MAX)
      throw new IdRefusal('INVALID_ARGUMENT', `at most ${ID_SEQUENCES_MAX} sequences`);
    await this.machine.submit({ op: 'create', name, start, step });
  }

  /** The next `count` ids of `name`, stored before this resolves. */
  async take(name: string, count: number): Promise<IdRange> {
    if (!Number.isSafeInteger(count) || count < 1 || count > ID_RANGE_COUNT_MAX)
      throw new IdRefusal('INVALID_ARGUMENT', `count must be 1..${ID_RANGE_COUNT_MAX}`);
    const sequence = this.machine.state.sequences.get(name);
    if (sequence === undefined) throw new IdRefusal('ID_SEQUENCE_NOT_FOUND', name);
    const first = sequence.next;
    if (!Number.isSafeInteger(first + count * sequence.step))
      throw new IdRefusal('ID_SEQUENCE_EXHAUSTED', `${name} would pass 2^53`);
    await this.machine.submit({ op: 'take', name, count });
    this.counters.segments++;
    this.counters.ids += count;
    return { first, step: sequence.step, count };
  }

  sequences(): { name: string; next: number; step: number }[] {
    return [...this.machine.state.sequences].map(([name, { next, step }]) => ({ name, next, step }));
  }

  /** Worker id leases live at `now` (held, not released, not expired), over all spaces. */
  liveWorkerLeases(now: number = this.now()): number {
    let live = 0;
    for (const leases of this.machine.state.workers.values())
      for (const lease of leases.values()) if (lease.holder !== '' && lease.expiresAtMs >= now) live++;
    return live;
  }

  /**
   * Leases a worker id of `space` to `holder` for `ttlMs`, or renews `workerId` when `holder`
   * holds it live. Without a workerId, the lowest id free for reuse is taken.
   */
  async lease(
    space: string,
    holder: string,
    ttlMs: number,
    workerCount: number,
    workerId?: number,
  ): Promise<WorkerGrant> {
    if (!Number.isSafeInteger(workerCount) || workerCount < 1 || workerCount > ID_WORKER_COUNT_MAX)
      throw new IdRefusal('INVALID_ARGUMENT', `workerCount must be 1..${ID_WORKER_COUNT_MAX}`);
    if (!Number.isSafeInteger(ttlMs) || ttlMs < ID_WORKER_LEASE_TTL_MS_MIN || ttlMs > ID_WORKER_LEASE_TTL_MS_MAX)
      throw new IdRefusal(
        'INVALID_ARGUMENT',
        `ttlMs must be ${ID_WORKER_LEASE_TTL_MS_MIN}..${ID_WORKER_LEASE_TTL_MS_MAX}`,
      );
    const now = this.now();
    const leases = this.machine.state.workers.get(space);
    let chosen: number | undefined;
    if (workerId !== undefined) {
      const lease = leases?.get(workerId);
      if (lease === undefined || lease.holder !== holder || lease.expiresAtMs < now)
        throw new IdRefusal('ID_LEASE_LOST', `worker ${workerId} of ${space} is not held live by this holder`);
      chosen = workerId;
    } else {
      for (let id = 0; id < workerCount && chosen === undefined; id++) {
        const lease = leases?.get(id);
        if (lease === undefined || lease.expiresAtMs + ID_WORKER_REUSE_MARGIN_MS < now) chosen = id;
      }
      if (chosen === undefined) {
        this.counters.leasesRefused++;
        throw new IdRefusal('ID_WORKERS_EXHAUSTED', `all ${workerCount} worker ids of ${space} are leased`);
      }
    }
    const expiresAtMs = now + ttlMs;
    await this.machine.submit({ op: 'lease', space, workerId: chosen, holder, expiresAtMs });
    this.counters.leases++;
    return { workerId: chosen, expiresAtMs };
  }

  /** Ends `holder`'s lease early; its id still waits out the reuse margin. */
  async release(space: string, holder: string, workerId: number): Promise<void> {
    if (this.machine.state.workers.get(space)?.get(workerId)?.holder !== holder) return;
    await this.machine.submit({ op: 'release', space, workerId, holder, atMs: this.now() });
  }
}
