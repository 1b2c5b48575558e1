// The TCC handlers of one account service: the try payload is { account, delta } (delta < 0
// debits, > 0 credits); the store (account-store.ts) keeps the branch rules.
import type { TccBranchCall, TccBranchHandlers } from '../../client/index.js';
import type { AccountStore } from './account-store.js';

export interface TransferLeg {
  readonly account: string;
  readonly delta: number;
}

/** Hooks a fault test uses to crash between changing the store and writing it. */
export interface AccountHooks {
  beforeSave?(call: TccBranchCall): void;
}

export function accountHandlers(store: AccountStore, hooks: AccountHooks = {}): TccBranchHandlers {
  const beforeSave = (call: TccBranchCall) => () => hooks.beforeSave?.(call);
  return {
    try(call) {
      const leg = JSON.parse(call.payload.toString('utf8')) as TransferLeg;
      store.try(call.xid, leg.account, leg.delta, beforeSave(call));
    },
    confirm(call) {
      store.confirm(call.xid, beforeSave(call));
    },
    cancel(call) {
      return { empty: store.cancel(call.xid, beforeSave(call)) };
    },
  };
}
