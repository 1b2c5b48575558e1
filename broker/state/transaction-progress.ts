// Where every transaction stands, as a log-backed state machine (ARCHITECTURE.md §4): the single source
// of truth for which half messages are committed, rolled back or given up, and how many times
// each was checked back. It replaces RocketMQ's op topic and half-topic consumer offsets.
//
// A half message is named by its queue offset in RMQ_SYS_TRANS_HALF_TOPIC queue 0 (RocketMQ's
// tranStateTableOffset). Every offset is `prepared` with no check until a command says
// otherwise, so storing a half message costs no command: the half queue itself is the log of
// prepared transactions. Each command is one move of transaction-state.ts's table. Offsets
// below `settledBelow` are all in end states and forgotten; the mark advances over each run of
// finished offsets, so the table holds only the transactions still open and the finished ones
// after the oldest open one.
import assert from 'node:assert/strict';

import type { MessageStore } from '../../storage/index.js';
import { STATE_QUEUE } from '../broker-constants.js';
import { LogBackedStateMachine, type StateMachineDefinition } from './log-backed-state-machine.js';
import { assertTransition, isFinalTransactionState, type TransactionState } from '../transactions/transaction-state.js';
import { TransactionCounters } from '../transactions/transaction-counters.js';

export interface TransactionEntry {
  readonly state: TransactionState;
  /** Check rounds so far (TRANSACTION_CHECK_TIMES). */
  readonly checks: number;
}

interface ProgressState {
  settledBelow: number;
  /** Offsets at or above settledBelow that have left `prepared`. */
  entries: Map<number, TransactionEntry>;
}

/** One move of one half message; a move to `checking` counts a check round. */
interface MoveCommand {
  offset: number;
  to: TransactionState;
}

const PREPARED: TransactionEntry = { state: 'prepared', checks: 0 };

const definition: StateMachineDefinition<ProgressState, MoveCommand> = {
  name: 'transactions',
  queueId: STATE_QUEUE.transactionState,
  initial: () => ({ settledBelow: 0, entries: new Map() }),
  apply(state, command) {
    const current = entryOf(state, command.offset);
    assert.ok(current !== undefined, `transaction ${command.offset} moved after it was settled`);
    assertTransition(current.state, command.to);
    const checks = current.checks + (command.to === 'checking' ? 1 : 0);
    state.entries.set(command.offset, { state: command.to, checks });
    for (;;) {
      const oldest = state.entries.get(state.settledBelow);
      if (oldest === undefined || !isFinalTransactionState(oldest.state)) break;
      state.entries.delete(state.settledBelow);
      state.settledBelow++;
    }
  },
  toSnapshot: (state) => ({ settledBelow: state.settledBelow, entries: [...state.entries] }),
  fromSnapshot(data) {
    const { settledBelow, entries } = data as { settledBelow: number; entries: [number, TransactionEntry][] };
    return { settledBelow, entries: new Map(entries) };
  },
};

function entryOf(state: ProgressState, offset: number): TransactionEntry | undefined {
  if (offset < state.settledBelow) return undefined;
  return state.entries.get(offset) ?? PREPARED;
}

export class TransactionProgress {
  private readonly machine: LogBackedStateMachine<ProgressState, MoveCommand>;
  /** Verdicts and check-backs since the broker started, for the metrics. */
  readonly counters = new TransactionCounters();

  constructor(store: MessageStore, stateDirectory: string) {
    this.machine = LogBackedStateMachine.open(store, stateDirectory, definition);
  }

  get stateMachine(): LogBackedStateMachine<ProgressState, MoveCommand> {
    return this.machine;
  }

  /** Every half message below this offset is finished. */
  get settledBelow(): number {
    return this.machine.state.settledBelow;
  }

  /**
   * Half messages at queue offsets [from, to) still open (prepared or checking): every offset
   * there is open unless the table holds it in an end state. For the metrics, read at scrape.
   */
  openBetween(from: number, to: number): number {
    const { settledBelow, entries } = this.machine.state;
    const start = Math.max(from, settledBelow);
    let open = Math.max(0, to - start);
    for (const [offset, entry] of entries)
      if (offset >= start && offset < to && isFinalTransactionState(entry.state)) open--;
    return open;
  }

  /** The half message's state; undefined when it finished long enough ago to be forgotten. */
  stateOf(offset: number): TransactionEntry | undefined {
    return entryOf(this.machine.state, offset);
  }

  /**
   * Moves a half message to `to`, which the table must allow (an illegal move throws before
   * anything is logged). The state changes at once, so the caller's check and this move are
   * atomic when made in the same tick; the promise resolves when the command is stored.
   */
  move(offset: number, to: TransactionState): Promise<void> {
    const current = this.stateOf(offset);
    assert.ok(current !== undefined, `transaction ${offset} moved after it was settled`);
    assertTransition(current.state, to);
    return this.machine.submit({ offset, to });
  }
}
