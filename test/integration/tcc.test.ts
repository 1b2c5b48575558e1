// The TCC coordinator against a real broker process, with participants in this process: a
// commit confirms every branch; an empty rollback (a branch whose try never arrived) succeeds and
// is recorded; a try after its branch was cancelled is refused (no hanging), by the coordinator
// and by the example's store; repeated commits, rollbacks and reports are no-ops; and a broker
// SIGKILLed with branches outstanding drives every one of them to completion after its restart.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import {
  TccCoordinatorClient,
  TccError,
  TccParticipant,
  TccTransaction,
  xidFrom,
  xidHeaders,
  type TccBranchCall,
  type TccGlobalStatus,
} from '../../client/index.js';
import { AccountStore, AccountStoreError } from '../../examples/tcc-transfer/account-store.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { cliJson, runCli } from '../support/run-cli.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const WAIT_MS = 15_000;

/** An in-memory participant recording every call; `failConfirm` makes confirm throw. */
class RecordingParticipant {
  readonly calls: TccBranchCall[] = [];
  readonly tried = new Set<string>();
  readonly cancelled = new Set<string>();
  failConfirm = false;
  participant: TccParticipant | undefined;

  constructor(
    private readonly address: string,
    readonly resource: string,
  ) {}

  async start(): Promise<void> {
    this.participant = new TccParticipant({
      coordinatorAddress: this.address,
      resources: {
        [this.resource]: {
          try: (call) => {
            this.calls.push(call);
            if (this.cancelled.has(call.xid)) throw new Error('hanging try refused');
            this.tried.add(call.xid);
          },
          confirm: (call) => {
            this.calls.push(call);
            if (this.failConfirm) throw new Error('confirm fails for now');
          },
          cancel: (call) => {
            this.calls.push(call);
            this.cancelled.add(call.xid);
            return { empty: !this.tried.has(call.xid) };
          },
        },
      },
    });
    await this.participant.start();
  }

  count(xid: string, action: string): number {
    return this.calls.filter((call) => call.xid === xid && call.action === action).length;
  }

  close(): void {
    this.participant?.close();
  }
}

async function withBroker(label: string, body: (broker: BrokerProcess) => Promise<void>): Promise<void> {
  const directory = temporaryDirectory(label);
  const broker = await startBrokerProcess({ dataDirectory: directory.path, label });
  try {
    await body(broker);
  } finally {
    await broker.stop();
    directory.remove();
  }
}

function finished(coordinator: TccCoordinatorClient, xid: string): Promise<TccGlobalStatus> {
  return pollUntil(`global ${xid} finished`, WAIT_MS, async () => {
    const status = await coordinator.status(xid);
    return status.state === 'committed' || status.state === 'rolled_back' ? status : undefined;
  });
}

async function refusal(promise: Promise<unknown>): Promise<TccError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TccError, `expected a TccError, got ${String(error)}`);
  return error;
}

test('a committed global confirms both branches once, and the xid travels in headers', async () => {
  await withBroker('tcc-commit', async (broker) => {
    const a = new RecordingParticipant(broker.address, 'bank-a');
    const b = new RecordingParticipant(broker.address, 'bank-b');
    await a.start();
    await b.start();
    const coordinator = new TccCoordinatorClient({ coordinatorAddress: broker.address });
    try {
      const xid = await TccTransaction.run(coordinator, async (tx) => {
        assert.equal(xidFrom({ tcc_xid: tx.headers()['TCC_XID'] }), tx.xid);
        await tx.try('bank-a', { amount: 5 });
        await tx.try('bank-b', { amount: 5 });
        return tx.xid;
      });
      const status = await finished(coordinator, xid);
      assert.equal(status.state, 'committed');
      assert.deepEqual(
        status.branches.map((b) => b.state),
        ['confirmed', 'confirmed'],
      );
      await pollUntil('confirms', WAIT_MS, () =>
        a.count(xid, 'confirm') === 1 && b.count(xid, 'confirm') === 1 ? true : undefined,
      );
      assert.equal(JSON.parse(a.calls[0]!.payload.toString()).amount, 5);
      assert.deepEqual(xidHeaders(xid), { TCC_XID: xid });
    } finally {
      coordinator.close();
      a.close();
      b.close();
    }
  });
});

test('empty rollback: cancel of a branch whose try never arrived succeeds and is recorded; a late try is refused', async () => {
  await withBroker('tcc-empty-rollback', async (broker) => {
    const a = new RecordingParticipant(broker.address, 'bank-a');
    await a.start();
    const late = new RecordingParticipant(broker.address, 'bank-late');
    const coordinator = new TccCoordinatorClient({ coordinatorAddress: broker.address });
    try {
      const tx = await TccTransaction.begin(coordinator, { tryTimeoutMs: 500 });
      await tx.try('bank-a', { amount: 1 });
      // No participant serves bank-late yet: its try never arrives anywhere.
      assert.equal((await refusal(tx.try('bank-late', { amount: 1 }))).code, 'TRY_FAILED');
      assert.equal((await refusal(tx.commit())).code, 'NOT_ALL_TRIED');
      await tx.rollback();
      await late.start(); // Now the cancel reaches it, with no try before.
      const status = await finished(coordinator, tx.xid);
      assert.equal(status.state, 'rolled_back');
      const lateBranch = status.branches.find((b) => b.resource === 'bank-late')!;
      assert.deepEqual([lateBranch.state, lateBranch.emptyRollback], ['cancelled', true]);
      const aBranch = status.branches.find((b) => b.resource === 'bank-a')!;
      assert.deepEqual([aBranch.state, aBranch.emptyRollback], ['cancelled', false]);
      assert.equal(late.count(tx.xid, 'try'), 0);
      // No hanging: the coordinator refuses a try for the cancelled branch.
      assert.equal((await refusal(tx.try('bank-late', { amount: 1 }))).code, 'BRANCH_CANCELLED');
      assert.equal(late.count(tx.xid, 'try'), 0);
    } finally {
      coordinator.close();
      a.close();
      late.close();
    }
  });
});

test('no hanging in the example store: a try arriving after its empty rollback is refused and changes nothing', () => {
  const directory = temporaryDirectory('tcc-store');
  try {
    const store = new AccountStore(path.join(directory.path, 'a.json'), { alice: 100 });
    assert.equal(store.cancel('x1'), true);
    assert.throws(
      () => store.try('x1', 'alice', -40),
      (e: unknown) => e instanceof AccountStoreError && e.code === 'HANGING_TRY',
    );
    assert.deepEqual(store.accounts.alice, { balance: 100, frozen: 0, incoming: 0 });
    store.try('x2', 'alice', -40);
    store.try('x2', 'alice', -40); // A repeat: no second freeze.
    store.confirm('x2');
    store.confirm('x2');
    assert.equal(store.cancel('x3'), true);
    assert.equal(store.cancel('x3'), true);
    const reopened = new AccountStore(path.join(directory.path, 'a.json'));
    assert.deepEqual(reopened.accounts.alice, { balance: 60, frozen: 0, incoming: 0 });
  } finally {
    directory.remove();
  }
});

test('idempotence: repeated commit, rollback and confirm reports are no-ops; a rollback after commit is refused', async () => {
  await withBroker('tcc-idempotent', async (broker) => {
    const a = new RecordingParticipant(broker.address, 'bank-a');
    await a.start();
    const coordinator = new TccCoordinatorClient({ coordinatorAddress: broker.address });
    try {
      const tx = await TccTransaction.begin(coordinator);
      await tx.try('bank-a', { amount: 2 });
      await tx.try('bank-a', { amount: 2 }); // A repeated try of a tried branch: no second call.
      assert.equal(a.count(tx.xid, 'try'), 1);
      await tx.commit();
      await tx.commit();
      assert.equal((await refusal(tx.rollback())).code, 'WRONG_STATE');
      const before = await finished(coordinator, tx.xid);
      const report = { xid: tx.xid, resource: 'bank-a', action: 'cancel', ok: true, empty: true };
      await coordinator.request(REQUEST_CODE.TCC_BRANCH_REPORT, report, 'stray cancel report');
      await coordinator.request(REQUEST_CODE.TCC_BRANCH_REPORT, { ...report, action: 'confirm' }, 'repeated confirm');
      assert.deepEqual(await coordinator.status(tx.xid), before);
      assert.equal((await refusal(coordinator.commit('no-such-xid'))).code, 'GLOBAL_NOT_FOUND');
    } finally {
      coordinator.close();
      a.close();
    }
  });
});

test('recovery: a broker SIGKILLed with branches outstanding confirms and cancels every one after restart', async () => {
  await withBroker('tcc-recovery', async (broker) => {
    const a = new RecordingParticipant(broker.address, 'bank-a');
    const b = new RecordingParticipant(broker.address, 'bank-b');
    a.failConfirm = true;
    b.failConfirm = true;
    await a.start();
    await b.start();
    const coordinator = new TccCoordinatorClient({ coordinatorAddress: broker.address });
    try {
      const committing = await TccTransaction.begin(coordinator);
      await committing.try('bank-a', 'c');
      await committing.try('bank-b', 'c');
      await committing.commit();
      // An initiator that vanished after its tries: timed out and rolled back after the restart.
      const abandoned = await TccTransaction.begin(coordinator, { timeoutMs: 1500 });
      await abandoned.try('bank-a', 'r');
      await abandoned.try('bank-b', 'r');
      await pollUntil('confirms attempted', WAIT_MS, () => (a.count(committing.xid, 'confirm') > 0 ? true : undefined));
      assert.equal((await coordinator.status(committing.xid)).state, 'committing');
      await broker.kill();
      await broker.restart();
      a.failConfirm = false;
      b.failConfirm = false;
      const done = await finished(coordinator, committing.xid);
      assert.deepEqual([done.state, ...done.branches.map((x) => x.state)], ['committed', 'confirmed', 'confirmed']);
      const undone = await finished(coordinator, abandoned.xid);
      assert.deepEqual(
        [undone.state, ...undone.branches.map((x) => x.state)],
        ['rolled_back', 'cancelled', 'cancelled'],
      );
      assert.ok(a.cancelled.has(abandoned.xid) && b.cancelled.has(abandoned.xid));
    } finally {
      coordinator.close();
      a.close();
      b.close();
    }
  });
});

test('cli: tcc list and describe show a stuck global; tcc rollback unsticks it; commit of it then is refused', async () => {
  await withBroker('tcc-cli', async (broker) => {
    const a = new RecordingParticipant(broker.address, 'bank-a');
    await a.start();
    const coordinator = new TccCoordinatorClient({ coordinatorAddress: broker.address });
    try {
      const stuck = await TccTransaction.begin(coordinator); // Its initiator never decides.
      await stuck.try('bank-a', 'x');
      const on = ['--broker', broker.address];
      const listed = await cliJson<{ globals: TccGlobalStatus[] }>(['tcc', 'list', ...on]);
      assert.deepEqual(
        listed.globals.map((g) => [g.xid, g.state]),
        [[stuck.xid, 'trying']],
      );
      const described = await cliJson<TccGlobalStatus>(['tcc', 'describe', ...on, '--xid', stuck.xid]);
      assert.deepEqual(
        described.branches.map((b) => [b.resource, b.state]),
        [['bank-a', 'tried']],
      );
      const rolledBack = await runCli(['tcc', 'rollback', ...on, '--xid', stuck.xid]);
      assert.equal(rolledBack.code, 0, rolledBack.stderr);
      assert.equal((await finished(coordinator, stuck.xid)).state, 'rolled_back');
      const commit = await runCli(['tcc', 'commit', ...on, '--xid', stuck.xid]);
      assert.equal(commit.code, 1);
      assert.match(commit.stderr, /WRONG_STATE/);
    } finally {
      coordinator.close();
      a.close();
    }
  });
});

test('acl: PUB on a TCC resource runs its tries, SUB serves them; others are refused and the listing is admin-only', async () => {
  const directory = temporaryDirectory('tcc-acl');
  const keys = (name: string) => ({ accessKey: `${name}-key`, secretKey: `${name}-secret` });
  const [initiator, server, stranger] = [keys('initiator'), keys('participant'), keys('stranger')];
  const aclFile = path.join(directory.path, 'acl.json');
  const accounts = [
    { ...initiator, tccResourcePerms: ['bank-a=PUB'] },
    { ...server, tccResourcePerms: ['bank-a=SUB'] },
    { ...stranger, defaultTccResourcePerm: 'DENY' },
  ];
  fs.writeFileSync(aclFile, JSON.stringify({ accounts }));
  const broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'data'),
    acl: aclFile,
    label: 'tcc-acl',
  });
  const coordinatorAddress = broker.address;
  const handlers = { try: () => undefined, confirm: () => undefined, cancel: () => undefined };
  const participant = new TccParticipant({
    coordinatorAddress,
    credentials: server,
    resources: { 'bank-a': handlers },
  });
  const intruder = new TccParticipant({ coordinatorAddress, credentials: stranger, resources: { 'bank-a': handlers } });
  const allowed = new TccCoordinatorClient({ coordinatorAddress, credentials: initiator });
  const refused = new TccCoordinatorClient({ coordinatorAddress, credentials: stranger });
  try {
    await participant.start();
    assert.equal((await refusal(intruder.start())).code, 'BROKER_ERROR');
    const xid = await TccTransaction.run(allowed, async (tx) => {
      await tx.try('bank-a', 1);
      return tx.xid;
    });
    assert.equal((await finished(allowed, xid)).state, 'committed');
    const other = await TccTransaction.begin(refused);
    const denied = await refusal(other.try('bank-a', 1));
    assert.match(denied.message, /NO_PERMISSION/);
    assert.equal((await refusal(allowed.list())).code, 'BROKER_ERROR');
    const report = { xid, resource: 'bank-a', action: 'confirm', ok: true };
    assert.match(
      (await refusal(refused.request(REQUEST_CODE.TCC_BRANCH_REPORT, report, 'report'))).message,
      /NO_PERMISSION/,
    );
  } finally {
    for (const client of [allowed, refused]) client.close();
    participant.close();
    intruder.close();
    await broker.stop();
    directory.remove();
  }
});

test.run();
