// The TCC coordinator (Seata TCC mode's transaction coordinator). It hands out xids, runs each
// branch's try on a participant connection (TCC_TRY from the initiator becomes a TCC_BRANCH_ACTION
// to the participant, answered by its TCC_BRANCH_REPORT), records the decision, and drives
// confirm or cancel of every branch to completion.
//
// Why the try goes through the coordinator: the branch is logged before the try is sent, so the
// branch log is authoritative. Whatever crashes afterwards (initiator, participant, coordinator),
// the coordinator knows every branch whose try may have run and cancels or confirms each one.
//
// Phase two never gives up: an unanswered confirm or cancel is re-sent with back-off from
// TCC_RETRY_BACKOFF_MS_MIN doubling to TCC_RETRY_BACKOFF_MS_MAX, to whichever connection serves
// the resource then; a participant that (re)registers gets its outstanding actions at once. The
// recovery task scans the unfinished globals at start and every TCC_RECOVERY_SCAN_INTERVAL_MS:
// it rolls back globals still trying past their timeout and re-drives decided ones. Every state
// change is checked against the tables of tcc-states.ts before it is logged.
import { randomUUID } from 'node:crypto';

import { REQUEST_CODE } from '../../protocol/request-code.js';
import { TCC_RESPONSE_CODE, type TccAction, type TccGlobalStatus } from '../../protocol/tcc-status.js';
import type { Channel } from '../../server/remoting-server.js';
import type { TccGlobalRecord, TccLog } from '../state/tcc-log.js';
import {
  TCC_BRANCHES_PER_GLOBAL_MAX,
  TCC_GLOBAL_TIMEOUT_MS_MAX,
  TCC_RECOVERY_SCAN_INTERVAL_MS,
  TCC_RETRY_BACKOFF_MS_MAX,
  TCC_RETRY_BACKOFF_MS_MIN,
  TCC_UNFINISHED_GLOBALS_MAX,
} from './tcc-constants.js';
import { TccParticipants } from './tcc-participants.js';
import { TccRefusal } from './tcc-refusal.js';
import { isFinalBranchState } from './tcc-states.js';

interface BranchRuntime {
  attempts: number;
  nextAtMs: number;
}

interface TryWaiter {
  readonly settle: (ok: boolean, reason: string) => void;
}

export interface TccBranchReport {
  readonly xid: string;
  readonly resource: string;
  readonly action: TccAction;
  readonly ok: boolean;
  /** A cancel that found no try to undo. */
  readonly empty: boolean;
  readonly reason: string;
}

export class TccCoordinator {
  readonly participants = new TccParticipants();
  private readonly runtime = new Map<string, BranchRuntime>();
  private readonly tryWaiters = new Map<string, TryWaiter[]>();
  /** Tries waiting for a participant of their resource to register, by branch key. */
  private readonly unserved = new Map<string, { resource: string; send: (channel: Channel) => void }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: TccLog,
    private readonly onError: (error: unknown, context: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.scan();
    this.timer = setInterval(() => this.scan(), TCC_RECOVERY_SCAN_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const waiters of this.tryWaiters.values()) for (const w of waiters) w.settle(false, 'coordinator stopped');
    this.tryWaiters.clear();
  }

  async begin(timeoutMs: number): Promise<string> {
    if (!(Number.isSafeInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= TCC_GLOBAL_TIMEOUT_MS_MAX))
      throw new TccRefusal(TCC_RESPONSE_CODE.WRONG_STATE, `timeoutMs must be 1..${TCC_GLOBAL_TIMEOUT_MS_MAX}`);
    if (this.log.unfinishedCount >= TCC_UNFINISHED_GLOBALS_MAX)
      throw new TccRefusal(TCC_RESPONSE_CODE.WRONG_STATE, `${TCC_UNFINISHED_GLOBALS_MAX} globals unfinished`);
    const xid = randomUUID();
    const createdMs = this.now();
    await this.log.record({ op: 'begin', xid, createdMs, timeoutAtMs: createdMs + timeoutMs });
    return xid;
  }

  /** Runs a branch's try on its participant; resolves once it reported success. */
  async tryBranch(xid: string, resource: string, payload: Buffer, timeoutMs: number): Promise<void> {
    const global = this.existing(xid);
    const branch = global.branches.get(resource);
    if (branch?.state === 'cancelled')
      throw new TccRefusal(TCC_RESPONSE_CODE.BRANCH_CANCELLED, `branch ${resource} of ${xid} was cancelled`);
    if (global.state !== 'trying')
      throw new TccRefusal(TCC_RESPONSE_CODE.WRONG_STATE, `global ${xid} is ${global.state}, no try accepted`);
    if (branch?.state === 'tried') return; // A repeated try: already done.
    if (branch?.state === 'try_failed')
      throw new TccRefusal(TCC_RESPONSE_CODE.TRY_FAILED, `the try of ${resource} already failed`);
    if (branch === undefined) {
      if (global.branches.size >= TCC_BRANCHES_PER_GLOBAL_MAX)
        throw new TccRefusal(TCC_RESPONSE_CODE.TOO_MANY_BRANCHES, `at most ${TCC_BRANCHES_PER_GLOBAL_MAX} branches`);
      // Logged before the try is sent: a branch whose try may have run is always known.
      await this.log.record({ op: 'register', xid, resource, payload: payload.toString('base64') });
    }
    const outcome = this.awaitTry(xid, resource, timeoutMs);
    const channel = this.participants.pick(resource);
    const key = branchKey(xid, resource);
    // No participant now (one restarting): the try goes to the first to register within the timeout.
    if (channel === undefined)
      this.unserved.set(key, { resource, send: (c) => this.send(c, xid, resource, 'try', payload) });
    else this.send(channel, xid, resource, 'try', payload);
    const { ok, reason } = await outcome;
    this.unserved.delete(key);
    if (!ok) throw new TccRefusal(TCC_RESPONSE_CODE.TRY_FAILED, `try of ${resource} failed: ${reason}`);
  }

  async commit(xid: string): Promise<void> {
    const global = this.existing(xid);
    if (global.state === 'committing' || global.state === 'committed') return;
    if (global.state !== 'trying')
      throw new TccRefusal(TCC_RESPONSE_CODE.WRONG_STATE, `global ${xid} is ${global.state}`);
    const untried = [...global.branches.values()].filter((branch) => branch.state !== 'tried');
    if (untried.length > 0)
      throw new TccRefusal(
        TCC_RESPONSE_CODE.NOT_ALL_TRIED,
        `branches not tried: ${untried.map((b) => `${b.resource} (${b.state})`).join(', ')}`,
      );
    await this.decide(global, 'committing');
  }

  async rollback(xid: string): Promise<void> {
    const global = this.existing(xid);
    if (global.state === 'rolling_back' || global.state === 'rolled_back') return;
    if (global.state !== 'trying')
      throw new TccRefusal(TCC_RESPONSE_CODE.WRONG_STATE, `global ${xid} is ${global.state}`);
    await this.decide(global, 'rolling_back');
  }

  /** A participant's report of a branch action; anything that no longer fits is ignored. */
  report(report: TccBranchReport): void {
    const { xid, resource, action, ok, empty } = report;
    if (action === 'try') this.settleTry(xid, resource, ok, report.reason);
    const global = this.log.global(xid);
    const branch = global?.branches.get(resource);
    if (global === undefined || branch === undefined) return;
    if (action === 'try') {
      if (global.state === 'trying' && branch.state === 'registered')
        this.record({ op: 'branch', xid, resource, state: ok ? 'tried' : 'try_failed' });
      return;
    }
    if (!ok) return; // Retried after back-off.
    const fits =
      action === 'confirm'
        ? global.state === 'committing' && branch.state === 'tried'
        : global.state === 'rolling_back' && !isFinalBranchState(branch.state);
    if (!fits) return; // A repeat, or late: a no-op.
    const state = action === 'confirm' ? 'confirmed' : 'cancelled';
    this.record({ op: 'branch', xid, resource, state, empty: action === 'cancel' && empty });
    this.runtime.delete(branchKey(xid, resource));
    this.finishIfDone(global);
  }

  /** A participant connection serves `resources`; outstanding actions for them go out now. */
  registerParticipant(channel: Channel, resources: readonly string[]): void {
    const added = new Set(this.participants.register(channel, resources));
    if (added.size === 0) return;
    for (const [key, waiting] of this.unserved)
      if (added.has(waiting.resource)) {
        this.unserved.delete(key);
        waiting.send(channel);
      }
    const now = this.now();
    for (const global of [...this.log.unfinished()])
      if (global.state !== 'trying' && [...global.branches.keys()].some((r) => added.has(r)))
        this.drive(global, now, true);
  }

  channelClosed(channel: Channel): void {
    this.participants.channelClosed(channel);
  }

  status(xid: string): TccGlobalStatus {
    return this.statusOf(this.existing(xid));
  }

  /** Unfinished globals, then up to `finishedCount` recently finished ones. */
  list(finishedCount: number): TccGlobalStatus[] {
    return [...this.log.unfinished(), ...this.log.recentlyFinished(finishedCount)].map((g) => this.statusOf(g));
  }

  /** The recovery task: time out globals still trying, re-drive decided ones. */
  scan(): void {
    const now = this.now();
    for (const global of [...this.log.unfinished()]) {
      if (global.state === 'trying') {
        if (now >= global.timeoutAtMs) {
          this.log.counters.timedOut++;
          this.decide(global, 'rolling_back').catch((error) => this.onError(error, `timing out ${global.xid}`));
        }
      } else this.drive(global, now, false);
    }
  }

  private statusOf(global: Readonly<TccGlobalRecord>): TccGlobalStatus {
    const { xid, state, createdMs, timeoutAtMs } = global;
    const branches = [...global.branches.values()].map(({ resource, state: branchState, emptyRollback }) => ({
      resource,
      state: branchState,
      emptyRollback,
      attempts: this.runtime.get(branchKey(xid, resource))?.attempts ?? 0,
    }));
    return { xid, state, createdMs, timeoutAtMs, branches };
  }

  private existing(xid: string): Readonly<TccGlobalRecord> {
    const global = this.log.global(xid);
    if (global === undefined) throw new TccRefusal(TCC_RESPONSE_CODE.GLOBAL_NOT_FOUND, `no global transaction ${xid}`);
    return global;
  }

  private async decide(global: Readonly<TccGlobalRecord>, state: 'committing' | 'rolling_back'): Promise<void> {
    await this.log.record({ op: 'decide', xid: global.xid, state });
    // Tries still waiting can only fail now: their branch is cancelled or the global committed.
    for (const resource of global.branches.keys()) this.settleTry(global.xid, resource, false, `global ${state}`);
    this.drive(global, this.now(), true);
  }

  /** Sends confirm or cancel to every unfinished branch whose back-off has passed (all with `force`). */
  private drive(global: Readonly<TccGlobalRecord>, now: number, force: boolean): void {
    const action: TccAction = global.state === 'committing' ? 'confirm' : 'cancel';
    for (const branch of global.branches.values()) {
      if (isFinalBranchState(branch.state)) continue;
      const key = branchKey(global.xid, branch.resource);
      let runtime = this.runtime.get(key);
      if (runtime === undefined) this.runtime.set(key, (runtime = { attempts: 0, nextAtMs: 0 }));
      if (!force && runtime.nextAtMs > now) continue;
      runtime.attempts++;
      runtime.nextAtMs = now + backoffMs(runtime.attempts);
      const channel = this.participants.pick(branch.resource);
      if (channel !== undefined)
        this.send(channel, global.xid, branch.resource, action, Buffer.from(branch.payload, 'base64'));
    }
    this.finishIfDone(global);
  }

  private finishIfDone(global: Readonly<TccGlobalRecord>): void {
    if (global.state !== 'committing' && global.state !== 'rolling_back') return;
    for (const branch of global.branches.values()) if (!isFinalBranchState(branch.state)) return;
    this.record({ op: 'finish', xid: global.xid });
  }

  private send(channel: Channel, xid: string, resource: string, action: TccAction, payload: Buffer): void {
    channel.sendOneway(REQUEST_CODE.TCC_BRANCH_ACTION, { xid, resource, action }, payload);
    this.log.counters.actionsSent[action]++;
  }

  private record(command: Parameters<TccLog['record']>[0]): void {
    this.log.record(command).catch((error) => this.onError(error, `logging tcc ${command.op} of ${command.xid}`));
  }

  private awaitTry(xid: string, resource: string, timeoutMs: number): Promise<{ ok: boolean; reason: string }> {
    return new Promise((resolve) => {
      const key = branchKey(xid, resource);
      const waiter: TryWaiter = {
        settle: (ok, reason) => {
          clearTimeout(timer);
          resolve({ ok, reason });
        },
      };
      const timer = setTimeout(() => {
        const waiters = this.tryWaiters.get(key)?.filter((w) => w !== waiter) ?? [];
        if (waiters.length === 0) this.tryWaiters.delete(key);
        else this.tryWaiters.set(key, waiters);
        resolve({ ok: false, reason: `no report within ${timeoutMs} ms` });
      }, timeoutMs);
      this.tryWaiters.set(key, [...(this.tryWaiters.get(key) ?? []), waiter]);
    });
  }

  private settleTry(xid: string, resource: string, ok: boolean, reason: string): void {
    const key = branchKey(xid, resource);
    const waiters = this.tryWaiters.get(key);
    if (waiters === undefined) return;
    this.tryWaiters.delete(key);
    for (const waiter of waiters) waiter.settle(ok, reason);
  }
}

function branchKey(xid: string, resource: string): string {
  return `${xid}\u0000${resource}`;
}

function backoffMs(attempts: number): number {
  return Math.min(TCC_RETRY_BACKOFF_MS_MAX, TCC_RETRY_BACKOFF_MS_MIN * 2 ** Math.min(attempts - 1, 30));
}
