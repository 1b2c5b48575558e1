// The TCC coordinator's global log and branch log, as one log-backed state machine (one queue,
// so a branch command is never replayed before the begin of its global). The coordinator
// (broker/tcc/tcc-coordinator.ts) decides; this file only records. `apply` ignores a command
// that the tables of tcc-states.ts do not allow, so replay never fails on a log written by an
// older coordinator: the coordinator checks every move before it logs it.
//
// A decided global is finished by the command that ends its last branch (or by the decision
// itself when it has none); 'finish' remains for a coordinator that finds one done but open.
// Finished globals move to a bounded list (newest TCC_FINISHED_GLOBALS_KEPT_MAX, without their
// payloads) so a late repeat of commit or rollback is still answered as a no-op.
import type { MessageStore } from '../../storage/index.js';
import type { TccAction, TccBranchState, TccGlobalState } from '../../protocol/tcc-status.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { TCC_FINISHED_GLOBALS_KEPT_MAX } from '../tcc/tcc-constants.js';
import { isFinalBranchState, isLegalBranchMove, isLegalGlobalMove } from '../tcc/tcc-states.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';

export interface TccBranchRecord {
  readonly resource: string;
  state: TccBranchState;
  /** The try payload, base64 (dropped once the global is finished). */
  payload: string;
  emptyRollback: boolean;
}

export interface TccGlobalRecord {
  readonly xid: string;
  state: TccGlobalState;
  readonly createdMs: number;
  readonly timeoutAtMs: number;
  readonly branches: Map<string, TccBranchRecord>;
}

interface TccLogState {
  readonly unfinished: Map<string, TccGlobalRecord>;
  readonly finished: Map<string, TccGlobalRecord>;
}

export type TccLogCommand =
  | { op: 'begin'; xid: string; createdMs: number; timeoutAtMs: number }
  | { op: 'register'; xid: string; resource: string; payload: string }
  | { op: 'branch'; xid: string; resource: string; state: TccBranchState; empty?: boolean }
  | { op: 'decide'; xid: string; state: 'committing' | 'rolling_back' }
  | { op: 'finish'; xid: string };

type SnapshotGlobal = [xid: string, state: TccGlobalState, createdMs: number, timeoutAtMs: number, TccBranchRecord[]];

const definition: StateMachineDefinition<TccLogState, TccLogCommand> = {
  name: 'tcc-log',
  queueId: STATE_QUEUE.tccLog,
  initial: () => ({ unfinished: new Map(), finished: new Map() }),
  apply: applyCommand,
  toSnapshot: (state) => ({
    unfinished: [...state.unfinished.values()].map(snapshotGlobal),
    finished: [...state.finished.values()].map(snapshotGlobal),
  }),
  fromSnapshot: (data) => {
    const { unfinished, finished } = data as { unfinished: SnapshotGlobal[]; finished: SnapshotGlobal[] };
    return {
      unfinished: new Map(unfinished.map((row) => [row[0], restoreGlobal(row)])),
      finished: new Map(finished.map((row) => [row[0], restoreGlobal(row)])),
    };
  },
};

function applyCommand(state: TccLogState, command: TccLogCommand): void {
  if (command.op === 'begin') {
    if (state.unfinished.has(command.xid) || state.finished.has(command.xid)) return;
    const { xid, createdMs, timeoutAtMs } = command;
    state.unfinished.set(xid, { xid, state: 'trying', createdMs, timeoutAtMs, branches: new Map() });
    return;
  }
  const global = state.unfinished.get(command.xid);
  if (global === undefined) return;
  switch (command.op) {
    case 'register':
      if (global.state === 'trying' && !global.branches.has(command.resource))
        global.branches.set(command.resource, {
          resource: command.resource,
          state: 'registered',
          payload: command.payload,
          emptyRollback: false,
        });
      return;
    case 'branch': {
      const branch = global.branches.get(command.resource);
      if (branch === undefined || !isLegalBranchMove(branch.state, command.state)) return;
      branch.state = command.state;
      if (command.empty === true) branch.emptyRollback = true;
      finishIfDone(state, global);
      return;
    }
    case 'decide':
      if (isLegalGlobalMove(global.state, command.state)) global.state = command.state;
      finishIfDone(state, global);
      return;
    case 'finish':
      finishGlobal(state, global);
  }
}

/** A decided global whose branches all ended is finished by the same command (one write saved). */
function finishIfDone(state: TccLogState, global: TccGlobalRecord): void {
  if (global.state !== 'committing' && global.state !== 'rolling_back') return;
  for (const branch of global.branches.values()) if (!isFinalBranchState(branch.state)) return;
  finishGlobal(state, global);
}

function finishGlobal(state: TccLogState, global: TccGlobalRecord): void {
  const to = global.state === 'committing' ? 'committed' : global.state === 'rolling_back' ? 'rolled_back' : undefined;
  if (to === undefined) return;
  global.state = to;
  for (const branch of global.branches.values()) branch.payload = '';
  state.unfinished.delete(global.xid);
  state.finished.set(global.xid, global);
  // Map order is insertion order, the same on every replay: the oldest finished go first.
  for (const xid of state.finished.keys()) {
    if (state.finished.size <= TCC_FINISHED_GLOBALS_KEPT_MAX) break;
    state.finished.delete(xid);
  }
}

function snapshotGlobal(global: TccGlobalRecord): SnapshotGlobal {
  return [global.xid, global.state, global.createdMs, global.timeoutAtMs, [...global.branches.values()]];
}

function restoreGlobal([xid, state, createdMs, timeoutAtMs, branches]: SnapshotGlobal): TccGlobalRecord {
  return { xid, state, createdMs, timeoutAtMs, branches: new Map(branches.map((b) => [b.resource, { ...b }])) };
}

/** What the coordinator did since the broker started (plain numbers, for the metrics). */
export interface TccCounters {
  begun: number;
  committed: number;
  rolledBack: number;
  /** Globals still trying at their timeout, rolled back by the recovery task. */
  timedOut: number;
  /** Branches cancelled without their try having run. */
  emptyRollbacks: number;
  /** Try, confirm and cancel requests sent to participants (retries included). */
  readonly actionsSent: Record<TccAction, number>;
}

export class TccLog {
  readonly stateMachine: LogBackedStateMachine<TccLogState, TccLogCommand>;
  readonly counters: TccCounters = {
    begun: 0,
    committed: 0,
    rolledBack: 0,
    timedOut: 0,
    emptyRollbacks: 0,
    actionsSent: { try: 0, confirm: 0, cancel: 0 },
  };

  constructor(store: MessageStore, stateDirectory: string) {
    this.stateMachine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  /** An unfinished global, or a remembered finished one. */
  global(xid: string): Readonly<TccGlobalRecord> | undefined {
    const { unfinished, finished } = this.stateMachine.state;
    return unfinished.get(xid) ?? finished.get(xid);
  }

  unfinished(): IterableIterator<Readonly<TccGlobalRecord>> {
    return this.stateMachine.state.unfinished.values();
  }

  get unfinishedCount(): number {
    return this.stateMachine.state.unfinished.size;
  }

  /** Finished globals remembered, newest first, at most `count`. */
  recentlyFinished(count: number): Readonly<TccGlobalRecord>[] {
    return [...this.stateMachine.state.finished.values()].slice(-count).reverse();
  }

  /** Logs and applies a command; resolves when it is stored as the flush mode promises. */
  record(command: TccLogCommand): Promise<void> {
    const { unfinished, finished } = this.stateMachine.state;
    const wasOpen = unfinished.has(command.xid);
    // submit applies at once: the state below is the command's effect.
    const stored = this.stateMachine.submit(command);
    if (command.op === 'begin') this.counters.begun++;
    else if (command.op === 'branch' && command.empty === true) this.counters.emptyRollbacks++;
    const ended = wasOpen && !unfinished.has(command.xid) ? finished.get(command.xid)?.state : undefined;
    if (ended === 'committed') this.counters.committed++;
    else if (ended === 'rolled_back') this.counters.rolledBack++;
    return stored;
  }
}
