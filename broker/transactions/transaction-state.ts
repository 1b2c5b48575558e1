// The life of a half message (a transaction's prepared message), as one table. A half message
// is `prepared` when stored; END_TRANSACTION moves it to `committed` (its real message is
// stored) or `rolled_back`; each check-back the broker sends moves it to (or keeps it in)
// `checking`; after the last allowed check it is moved aside to the check-max topic
// (`check_max`). The three end states are final: a late or repeated END_TRANSACTION for a
// finished transaction changes nothing (callers ask isLegalTransition first), and a command
// that tries anyway is a programmer error (assertTransition throws).
//
//   prepared ──check──▶ checking ──check──▶ checking ... ──15th check unanswered──▶ check_max
//      │                   │
//      ├──commit───────────┼──commit──▶ committed
//      └──rollback─────────┴──rollback▶ rolled_back
import assert from 'node:assert/strict';

export type TransactionState = 'prepared' | 'checking' | 'committed' | 'rolled_back' | 'check_max';

/** Every legal move, from each state. A state absent from a list cannot be reached from it. */
export const TRANSACTION_TRANSITIONS: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  prepared: ['checking', 'committed', 'rolled_back'],
  checking: ['checking', 'committed', 'rolled_back', 'check_max'],
  committed: [],
  rolled_back: [],
  check_max: [],
};

export const TRANSACTION_STATES = Object.keys(TRANSACTION_TRANSITIONS) as readonly TransactionState[];

export function isLegalTransition(from: TransactionState, to: TransactionState): boolean {
  return TRANSACTION_TRANSITIONS[from].includes(to);
}

/** True for the states no transaction leaves. */
export function isFinalTransactionState(state: TransactionState): boolean {
  return TRANSACTION_TRANSITIONS[state].length === 0;
}

/** Fails (an AssertionError, never caught) on a move the table does not allow. */
export function assertTransition(from: TransactionState, to: TransactionState): void {
  assert.ok(isLegalTransition(from, to), `transaction ${from} -> ${to} is not a legal move`);
}
