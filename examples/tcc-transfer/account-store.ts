// One account service's durable store: its accounts and the TCC branches it served, in one JSON
// file replaced atomically (write a temporary file, fsync it, rename it over the old one, fsync
// the directory), so a crash at any point leaves either the old or the new state, never half.
//
// Every branch (xid) has a record, which is what makes the TCC rules hold here:
//   try     refuses a branch already cancelled (no hanging); repeats of a done try are no-ops
//   confirm applies once (a repeat is a no-op)
//   cancel  undoes a try once; with no try recorded it records the cancel (empty rollback)
// A debit (delta < 0) freezes the amount in try, deducts it in confirm, unfreezes it in cancel;
// a credit (delta > 0) holds it as incoming in try, credits it in confirm, drops it in cancel.
import fs from 'node:fs';
import path from 'node:path';

export interface Account {
  balance: number;
  /** Debits tried, not yet confirmed or cancelled. */
  frozen: number;
  /** Credits tried, not yet confirmed or cancelled. */
  incoming: number;
}

export type BranchRecordState = 'tried' | 'confirmed' | 'cancelled';

export interface BranchRecord {
  state: BranchRecordState;
  account: string;
  delta: number;
  /** Cancelled with no try before it. */
  empty?: boolean;
}

interface StoreFile {
  accounts: Record<string, Account>;
  branches: Record<string, BranchRecord>;
}

export class AccountStoreError extends Error {
  override readonly name = 'AccountStoreError';

  constructor(
    readonly code: 'HANGING_TRY' | 'INSUFFICIENT_FUNDS' | 'NO_SUCH_ACCOUNT' | 'CONFIRM_WITHOUT_TRY' | 'ALREADY_ENDED',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export class AccountStore {
  private data: StoreFile;

  constructor(
    private readonly file: string,
    initial: Record<string, number> = {},
  ) {
    if (fs.existsSync(file)) this.data = JSON.parse(fs.readFileSync(file, 'utf8')) as StoreFile;
    else {
      const accounts = Object.fromEntries(
        Object.entries(initial).map(([name, balance]) => [name, { balance, frozen: 0, incoming: 0 }]),
      );
      this.data = { accounts, branches: {} };
      this.save();
    }
  }

  get accounts(): Readonly<Record<string, Readonly<Account>>> {
    return this.data.accounts;
  }

  branch(xid: string): Readonly<BranchRecord> | undefined {
    return this.data.branches[xid];
  }

  /** `beforeSave` runs after the change is made in memory and before it is written (fault tests). */
  try(xid: string, account: string, delta: number, beforeSave?: () => void): void {
    const existing = this.data.branches[xid];
    if (existing?.state === 'cancelled') throw new AccountStoreError('HANGING_TRY', `branch ${xid} was cancelled`);
    if (existing !== undefined) return;
    const target = this.account(account);
    if (delta < 0 && target.balance - target.frozen < -delta)
      throw new AccountStoreError('INSUFFICIENT_FUNDS', `${account} cannot spare ${-delta}`);
    if (delta < 0) target.frozen += -delta;
    else target.incoming += delta;
    this.data.branches[xid] = { state: 'tried', account, delta };
    this.commit(beforeSave);
  }

  confirm(xid: string, beforeSave?: () => void): void {
    const branch = this.data.branches[xid];
    if (branch === undefined) throw new AccountStoreError('CONFIRM_WITHOUT_TRY', `no try for ${xid}`);
    if (branch.state === 'confirmed') return;
    if (branch.state === 'cancelled') throw new AccountStoreError('ALREADY_ENDED', `${xid} was cancelled`);
    const target = this.account(branch.account);
    if (branch.delta < 0) target.frozen -= -branch.delta;
    else target.incoming -= branch.delta;
    target.balance += branch.delta;
    branch.state = 'confirmed';
    this.commit(beforeSave);
  }

  /** True when there was no try to undo (an empty rollback, recorded so a late try is refused). */
  cancel(xid: string, beforeSave?: () => void): boolean {
    const branch = this.data.branches[xid];
    if (branch?.state === 'cancelled') return branch.empty === true;
    if (branch?.state === 'confirmed') throw new AccountStoreError('ALREADY_ENDED', `${xid} was confirmed`);
    if (branch === undefined) {
      this.data.branches[xid] = { state: 'cancelled', account: '', delta: 0, empty: true };
      this.commit(beforeSave);
      return true;
    }
    const target = this.account(branch.account);
    if (branch.delta < 0) target.frozen -= -branch.delta;
    else target.incoming -= branch.delta;
    branch.state = 'cancelled';
    this.commit(beforeSave);
    return false;
  }

  private account(name: string): Account {
    const account = this.data.accounts[name];
    if (account === undefined) throw new AccountStoreError('NO_SUCH_ACCOUNT', name);
    return account;
  }

  private commit(beforeSave: (() => void) | undefined): void {
    beforeSave?.();
    this.save();
  }

  private save(): void {
    const temporary = `${this.file}.tmp`;
    const fd = fs.openSync(temporary, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(this.data));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.file);
    const directory = fs.openSync(path.dirname(this.file), 'r');
    try {
      fs.fsyncSync(directory);
    } finally {
      fs.closeSync(directory);
    }
  }
}
