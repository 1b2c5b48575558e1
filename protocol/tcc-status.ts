// What the TCC coordinator and its clients exchange besides extFields. Status bodies are JSON:
//
//   TCC_STATUS response body: TccGlobalStatus
//   TCC_LIST   response body: { globals: TccGlobalStatus[] }
//
// Refusals are answered with the TCC_RESPONSE_CODE below (Tributary's own, in the TCC request
// code range so they collide with no RocketMQ response code) and a remark saying why.

/** Where a global transaction stands (the table is broker/tcc/tcc-states.ts). */
export type TccGlobalState = 'trying' | 'committing' | 'rolling_back' | 'committed' | 'rolled_back';
/** Where one branch stands (the table is broker/tcc/tcc-states.ts). */
export type TccBranchState = 'registered' | 'tried' | 'try_failed' | 'confirmed' | 'cancelled';
export type TccAction = 'try' | 'confirm' | 'cancel';

/** One branch of a global transaction as `status` shows it. */
export interface TccBranchStatus {
  readonly resource: string;
  readonly state: TccBranchState;
  /** Cancelled without its try ever having run (an empty rollback). */
  readonly emptyRollback: boolean;
  /** Confirm or cancel attempts sent since the coordinator started. */
  readonly attempts: number;
}

/** A global transaction as `status` and `list` show it: its state, its timeout and its branches. */
export interface TccGlobalStatus {
  readonly xid: string;
  readonly state: TccGlobalState;
  readonly createdMs: number;
  /** A global still trying at this time is rolled back by the recovery task. */
  readonly timeoutAtMs: number;
  readonly branches: readonly TccBranchStatus[];
}

export const TCC_RESPONSE_CODE = {
  /** No such global transaction (never begun, or finished and forgotten). */
  GLOBAL_NOT_FOUND: 21590,
  /** The request does not fit where the global stands (e.g. a try after the decision). */
  WRONG_STATE: 21591,
  /** A try for a branch that was already cancelled (no hanging). */
  BRANCH_CANCELLED: 21592,
  /** The participant's try failed, or no participant answered in time. */
  TRY_FAILED: 21593,
  /** Commit asked while some branch has not tried successfully. */
  NOT_ALL_TRIED: 21594,
  /** A global may not hold more branches. */
  TOO_MANY_BRANCHES: 21595,
} as const;

export type TccResponseCode = (typeof TCC_RESPONSE_CODE)[keyof typeof TCC_RESPONSE_CODE];

export const TCC_ACTIONS: readonly TccAction[] = ['try', 'confirm', 'cancel'];

export function isTccAction(value: string): value is TccAction {
  return (TCC_ACTIONS as readonly string[]).includes(value);
}
