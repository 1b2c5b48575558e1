// The life of a TCC global transaction and of each of its branches, as two tables.
//
// Global:
//   trying ──commit (every branch tried)──▶ committing ──every branch confirmed──▶ committed
//      └────rollback, or timeout──────────▶ rolling_back ─every branch cancelled──▶ rolled_back
// A decision is final: a committing global is never rolled back (some branch may already have
// confirmed), and a rolling-back one never commits. A repeated commit or rollback of a global
// already decided the same way is a no-op.
//
// Branch (registered when the coordinator sends its try, before sending it, so a crash between
// the two still leaves a branch to cancel):
//   registered ──try ok──▶ tried ──confirm ok──▶ confirmed
//       │  └──try failed──▶ try_failed ──cancel ok──▶ cancelled
//       └──cancel ok (an empty rollback if its try never ran)──▶ cancelled ◀──cancel ok── tried
// A try reported for a branch that is no longer `registered` changes nothing, and a TCC_TRY for
// a cancelled branch is refused (no hanging); a repeated confirm or cancel changes nothing.
import assert from 'node:assert/strict';

import type { TccBranchState, TccGlobalState } from '../../protocol/tcc-status.js';

/** Every legal move of a global transaction, from each state. */
export const TCC_GLOBAL_TRANSITIONS: Readonly<Record<TccGlobalState, readonly TccGlobalState[]>> = {
  trying: ['committing', 'rolling_back'],
  committing: ['committed'],
  rolling_back: ['rolled_back'],
  committed: [],
  rolled_back: [],
};

/** Every legal move of a branch, from each state. */
export const TCC_BRANCH_TRANSITIONS: Readonly<Record<TccBranchState, readonly TccBranchState[]>> = {
  registered: ['tried', 'try_failed', 'cancelled'],
  tried: ['confirmed', 'cancelled'],
  try_failed: ['cancelled'],
  confirmed: [],
  cancelled: [],
};

export function isLegalGlobalMove(from: TccGlobalState, to: TccGlobalState): boolean {
  return TCC_GLOBAL_TRANSITIONS[from].includes(to);
}

export function isLegalBranchMove(from: TccBranchState, to: TccBranchState): boolean {
  return TCC_BRANCH_TRANSITIONS[from].includes(to);
}

export function isFinalBranchState(state: TccBranchState): boolean {
  return TCC_BRANCH_TRANSITIONS[state].length === 0;
}

/** Fails (an AssertionError, never caught) on a move the tables do not allow. */
export function assertTccMove<S extends string>(
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
  what: string,
): void {
  assert.ok(table[from].includes(to), `tcc ${what} ${from} -> ${to} is not a legal move`);
}
