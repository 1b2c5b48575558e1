// Distributed locks (issue 13) against real broker processes: mutual exclusion and fencing
// under contention from child processes, a SIGKILLed holder, FIFO waiters, owner-only release,
// lease expiry with a 'lost' event, read-write locks, semaphores, and fencing tokens across a
// broker SIGKILL and restart.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { test } from 'uvu';

import { DISTRIBUTED_LOCK_PER_CONNECTION_MAX } from '../../broker/broker-constants.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { ClientError, LockClient, type HeldLock, type LockLostEvent } from '../../client/index.js';
import type { LockContenderConfig } from './children/lock-contender.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { runCli } from '../support/run-cli.js';
import { CliProcess } from '../support/cli-process.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/lock-contender.js', import.meta.url));
const WAIT_MS = 20_000;
/** Long enough that only a closed connection, never the lease, can free the lock in time. */
const LONG_TTL_MS = 60_000;
const CONTENDERS = 4;
const ROUNDS_EACH = 25;

let broker: BrokerProcess;
let directory: { path: string; remove(): void };
const clients: LockClient[] = [];

function client(): LockClient {
  const locks = new LockClient({ broker: broker.address });
  clients.push(locks);
  return locks;
}

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ClientError) return error.code;
    throw error;
  }
  assert.fail('expected a refusal');
}

function waitersOf(locks: LockClient, name: string, count: number): Promise<true> {
  return pollUntil(`${count} waiter(s) on ${name}`, WAIT_MS, async () =>
    ((await locks.status(name))?.waiters ?? 0) >= count ? true : undefined,
  );
}

test.before(async () => {
  directory = temporaryDirectory('locks');
  broker = await startBrokerProcess({ dataDirectory: path.join(directory.path, 'broker') });
});

test.after.each(() => {
  for (const locks of clients.splice(0)) locks.close();
});

test.after(async () => {
  await broker?.stop();
  directory?.remove();
});

test('four processes incrementing a shared counter under one lock lose no update and see strictly increasing fencing tokens', async () => {
  const counterFile = path.join(directory.path, 'counter.json');
  fs.writeFileSync(counterFile, JSON.stringify({ value: 0, lastFence: 0 }));
  const config: LockContenderConfig = {
    mode: 'count',
    broker: broker.address,
    name: 'counter',
    ttlMs: LONG_TTL_MS,
    rounds: ROUNDS_EACH,
    counterFile,
  };
  const children = Array.from({ length: CONTENDERS }, (_, i) =>
    JsonLineChild.spawn(CHILD_SCRIPT, [JSON.stringify(config)], { label: `contender-${i}` }),
  );
  const results = await Promise.all(
    children.map((child) =>
      child.waitFor('the rounds', 60_000, (lines) => {
        const failed = lines.find((l) => l.event === 'failed');
        if (failed !== undefined) throw child.failure(String(failed.message));
        return lines.find((l) => l.event === 'done') as { fences: number[]; staleFences: number } | undefined;
      }),
    ),
  );
  const counter = JSON.parse(fs.readFileSync(counterFile, 'utf8')) as { value: number };
  assert.equal(counter.value, CONTENDERS * ROUNDS_EACH, 'an increment was lost: two holders at once');
  for (const result of results) assert.equal(result.staleFences, 0, 'a holder saw a fence not above the last one');
  const all = results.flatMap((result) => result.fences);
  assert.equal(new Set(all).size, all.length, 'a fencing token was handed out twice');
});

test("a SIGKILLed holder's lock passes to the waiter as soon as its connection dies, long before its lease ends", async () => {
  const config: LockContenderConfig = { mode: 'hold', broker: broker.address, name: 'killed', ttlMs: LONG_TTL_MS };
  const child = JsonLineChild.spawn(CHILD_SCRIPT, [JSON.stringify(config)], { label: 'holder' });
  const granted = await child.waitFor('the grant', WAIT_MS, (lines) => lines.find((l) => l.event === 'granted'));
  const waiter = client();
  const waiting = waiter.acquire('killed', { ttlMs: LONG_TTL_MS });
  await waitersOf(waiter, 'killed', 1);
  const killedAt = Date.now();
  await child.terminate('SIGKILL', WAIT_MS);
  const lock = await waiting;
  const tookMs = Date.now() - killedAt;
  assert.ok(tookMs < LONG_TTL_MS / 4, `the waiter got the lock ${tookMs} ms after the kill`);
  assert.ok(lock.fence > (granted.fence as number));
});

test('waiters are granted in the order they queued', async () => {
  const holder = await client().acquire('fifo', { ttlMs: LONG_TTL_MS });
  const order: number[] = [];
  const waiting: Promise<void>[] = [];
  for (let i = 0; i < 5; i++) {
    const locks = client();
    waiting.push(
      locks.acquire('fifo', { ttlMs: LONG_TTL_MS }).then(async (lock) => {
        order.push(i);
        await lock.release();
      }),
    );
    await waitersOf(locks, 'fifo', i + 1);
  }
  await holder.release();
  await Promise.all(waiting);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
});

test('another token can neither release nor renew a held lock', async () => {
  const owner = client();
  const lock = await owner.acquire('owned', { ttlMs: LONG_TTL_MS });
  const intruder = client();
  assert.equal(await refusal(intruder.release('owned', 'not-the-owner')), 'LOCK_NOT_HELD');
  assert.equal(await refusal(intruder.renew('owned', 'not-the-owner')), 'LOCK_NOT_HELD');
  const status = await intruder.status('owned');
  assert.deepEqual(
    status?.holders.map((holder) => holder.fence),
    [lock.fence],
  );
  assert.equal(await intruder.tryAcquire('owned', { ttlMs: LONG_TTL_MS }), undefined);
  await lock.release();
  assert.equal(await refusal(lock.release()), 'LOCK_NOT_HELD');
});

test('try-lock on a taken lock is busy at once, and a wait timeout ends a queued acquire', async () => {
  const lock = await client().acquire('busy', { ttlMs: LONG_TTL_MS });
  const other = client();
  assert.equal(await other.tryAcquire('busy', { ttlMs: LONG_TTL_MS }), undefined);
  assert.equal(await refusal(other.acquire('busy', { ttlMs: LONG_TTL_MS, waitMs: 200 })), 'LOCK_WAIT_TIMEOUT');
  assert.equal((await other.status('busy'))?.waiters, 0);
  await lock.release();
  const next = await other.tryAcquire('busy', { ttlMs: LONG_TTL_MS });
  assert.ok(next !== undefined && next.fence > lock.fence);
});

test('a lease that runs out frees the lock and tells its holder with a lost event', async () => {
  const holder = client();
  const lost = new Promise<LockLostEvent>((resolve) => holder.once('lost', resolve));
  const lock = await holder.acquire('expiring', { ttlMs: 300 });
  const next = await client().acquire('expiring', { ttlMs: LONG_TTL_MS, waitMs: WAIT_MS });
  const event = await lost;
  assert.equal(event.name, 'expiring');
  assert.equal(event.fence, lock.fence);
  assert.ok(['expired', 'lease-elapsed'].includes(event.reason));
  assert.ok(next.fence > lock.fence);
  assert.equal(await refusal(lock.renew()), 'LOCK_NOT_HELD');
});

test('an automatically renewed lock outlives its lease', async () => {
  const holder = client();
  let lostEvents = 0;
  holder.on('lost', () => lostEvents++);
  const lock = await holder.acquire('renewed', { ttlMs: 300, autoRenew: true });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // Three leases' worth of time must pass.
  assert.equal(await client().tryAcquire('renewed', { ttlMs: 300 }), undefined);
  assert.equal(lostEvents, 0);
  await lock.release();
});

test('read-write lock: readers share, a writer excludes them, and a reader queued behind a writer waits for it', async () => {
  const rw = { ttlMs: LONG_TTL_MS, kind: 'rw' } as const;
  const reader1 = await client().acquire('rw', { ...rw, mode: 'read' });
  const reader2 = await client().acquire('rw', { ...rw, mode: 'read' });
  const writerClient = client();
  const events: string[] = [];
  const writer = writerClient.acquire('rw', { ...rw, mode: 'write' }).then((lock) => {
    events.push('writer');
    return lock;
  });
  await waitersOf(writerClient, 'rw', 1);
  const lateReaderClient = client();
  assert.equal(await lateReaderClient.tryAcquire('rw', { ...rw, mode: 'read' }), undefined);
  const lateReader = lateReaderClient.acquire('rw', { ...rw, mode: 'read' }).then((lock) => {
    events.push('late reader');
    return lock;
  });
  await waitersOf(writerClient, 'rw', 2);
  await reader1.release();
  await reader2.release();
  const writeLock = await writer;
  assert.deepEqual(events, ['writer']);
  await writeLock.release();
  await (await lateReader).release();
  assert.deepEqual(events, ['writer', 'late reader']);
});

test('a semaphore admits its permits and no more, and a lock asked as another kind is refused', async () => {
  const semaphore = { ttlMs: LONG_TTL_MS, kind: 'semaphore', permits: 2 } as const;
  const held: HeldLock[] = [await client().acquire('pool', semaphore), await client().acquire('pool', semaphore)];
  const third = client();
  assert.equal(await third.tryAcquire('pool', semaphore), undefined);
  assert.equal(await refusal(third.tryAcquire('pool', { ...semaphore, permits: 3 })), 'BROKER_ERROR');
  assert.equal(await refusal(third.tryAcquire('pool', { ttlMs: LONG_TTL_MS })), 'BROKER_ERROR');
  const waiting = third.acquire('pool', semaphore);
  await waitersOf(third, 'pool', 1);
  await held[0]!.release();
  const granted = await waiting;
  assert.ok(granted.fence > held[1]!.fence);
  await granted.release();
  await held[1]!.release();
});

test('fencing tokens keep increasing across a broker SIGKILL and restart, and a restored holder keeps its lock by renewing', async () => {
  const dir = temporaryDirectory('locks-restart');
  const crashing = await startBrokerProcess({ dataDirectory: dir.path, label: 'crashing-broker' });
  const holder = new LockClient({ broker: crashing.address });
  const other = new LockClient({ broker: crashing.address });
  try {
    const kept = await holder.acquire('kept', { ttlMs: LONG_TTL_MS });
    let last = kept.fence;
    for (let i = 0; i < 5; i++) {
      const lock = await other.acquire('churn', { ttlMs: LONG_TTL_MS });
      assert.ok(lock.fence > last);
      last = lock.fence;
      await lock.release();
    }
    await crashing.kill();
    await crashing.restart();
    const churn = await pollUntil('the restarted broker', WAIT_MS, () =>
      other.tryAcquire('churn', { ttlMs: LONG_TTL_MS }).catch(() => undefined),
    );
    assert.ok(churn.fence > last, `fence ${churn.fence} after the restart is not above ${last}`);
    assert.equal(await other.tryAcquire('kept', { ttlMs: LONG_TTL_MS }), undefined, 'a restored lock was free');
    // The holder's client may still be backing off from the refused reconnects during the crash.
    const renewed = await pollUntil('the renewal', WAIT_MS, () =>
      holder.renew('kept', kept.token).catch((error: unknown) => {
        if (error instanceof ClientError && error.code === 'BROKER_UNAVAILABLE') return undefined;
        throw error;
      }),
    );
    assert.equal(renewed.fence, kept.fence);
    await holder.release('kept', kept.token);
    const after = await other.acquire('kept', { ttlMs: LONG_TTL_MS, waitMs: 0 });
    assert.ok(after.fence > churn.fence);
  } finally {
    holder.close();
    other.close();
    await crashing.stop();
    dir.remove();
  }
});

test('the lock CLI acquires, shows, lists and releases a lock by its token', async () => {
  const brokerFlag = ['--broker', broker.address];
  const acquired = await runCli(['lock', 'acquire', 'cli-once', '--ttl-ms', '5000', '--hold-ms', '0', ...brokerFlag]);
  assert.equal(acquired.code, 0, acquired.stderr);
  const printed = JSON.parse(acquired.stdout) as { token: string; fence: number };
  assert.ok(printed.token.length > 0 && printed.fence > 0);
  const holder = await client().acquire('cli-held', { ttlMs: LONG_TTL_MS, token: 'cli-token' });
  const busy = await runCli(['lock', 'acquire', 'cli-held', '--ttl-ms', '5000', '--wait-ms', '0', ...brokerFlag]);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /lock is taken/);
  const status = await runCli(['lock', 'status', 'cli-held', '--json', ...brokerFlag]);
  assert.deepEqual(
    (JSON.parse(status.stdout) as { holders: { fence: number }[] }).holders.map((h) => h.fence),
    [holder.fence],
  );
  assert.doesNotMatch(status.stdout, /cli-token/, 'status must not reveal owner tokens');
  const list = await runCli(['lock', 'list', ...brokerFlag]);
  assert.match(list.stdout, /cli-held/);
  const wrong = await runCli(['lock', 'release', 'cli-held', '--token', 'guess', ...brokerFlag]);
  assert.equal(wrong.code, 1);
  const right = await runCli(['lock', 'release', 'cli-held', '--token', 'cli-token', ...brokerFlag]);
  assert.equal(right.code, 0, right.stderr);
  assert.match((await runCli(['lock', 'status', 'cli-held', ...brokerFlag])).stdout, /is free/);
});

test('a lock flood from one connection is refused past its per-connection limit, and its locks free when it closes', async () => {
  const flooder = client();
  const names = Array.from({ length: DISTRIBUTED_LOCK_PER_CONNECTION_MAX }, (_, i) => `flood-${i}`);
  const BATCH = 500;
  for (let i = 0; i < names.length; i += BATCH)
    await Promise.all(names.slice(i, i + BATCH).map((name) => flooder.acquire(name, { ttlMs: LONG_TTL_MS })));
  const refused = await flooder.tryAcquire('flood-one-more', { ttlMs: LONG_TTL_MS }).then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(refused instanceof ClientError && refused.responseCode === RESPONSE_CODE.LOCK_TOO_MANY, String(refused));
  flooder.close();
  const other = client();
  await pollUntil(
    'the flood released',
    WAIT_MS,
    async () => (await other.tryAcquire(names.at(-1)!, { ttlMs: LONG_TTL_MS })) ?? undefined,
  );
});

test('malformed lock requests (zero lease, oversized name, unknown kind) are refused as bad requests and grant nothing', async () => {
  const locks = client();
  const codeOf = (work: Promise<unknown>): Promise<number | undefined> =>
    work.then(
      () => undefined,
      (error: unknown) => (error instanceof ClientError ? error.responseCode : undefined),
    );
  assert.equal(await codeOf(locks.acquire('bad', { ttlMs: 0 })), RESPONSE_CODE.LOCK_BAD_REQUEST);
  assert.equal(await codeOf(locks.acquire('x'.repeat(300), { ttlMs: 1000 })), RESPONSE_CODE.LOCK_BAD_REQUEST);
  const kind = 'queue' as unknown as 'mutex';
  assert.equal(await codeOf(locks.acquire('bad', { ttlMs: 1000, kind })), RESPONSE_CODE.LOCK_BAD_REQUEST);
  assert.equal(await locks.status('bad'), undefined);
});

test('lock permissions per name: an account takes only the locks its lockPerms grant, reads status with SUB, never lists', async () => {
  const dir = temporaryDirectory('locks-acl');
  const aclFile = path.join(dir.path, 'acl.json');
  const locker = { accessKey: 'lock-user', secretKey: 'lock-user-secret-5a1e' };
  const admin = { accessKey: 'lock-admin', secretKey: 'lock-admin-secret-77c0' };
  const accounts = [
    { ...admin, admin: true },
    { ...locker, lockPerms: ['orders=PUB|SUB', 'payroll=SUB'], defaultLockPerm: 'DENY' },
  ];
  fs.writeFileSync(aclFile, JSON.stringify({ globalWhiteRemoteAddresses: [], accounts }));
  const secured = await startBrokerProcess({
    dataDirectory: path.join(dir.path, 'data'),
    acl: aclFile,
    label: 'acl-broker',
  });
  const user = new LockClient({ broker: secured.address, credentials: locker });
  const boss = new LockClient({ broker: secured.address, credentials: admin });
  const anonymous = new LockClient({ broker: secured.address });
  const codeOf = (work: Promise<unknown>): Promise<number | undefined> =>
    work.then(
      () => undefined,
      (error: unknown) => (error instanceof ClientError ? error.responseCode : undefined),
    );
  try {
    const lock = await user.acquire('orders', { ttlMs: LONG_TTL_MS });
    assert.equal(await codeOf(user.acquire('payroll', { ttlMs: LONG_TTL_MS })), RESPONSE_CODE.NO_PERMISSION);
    assert.equal(await codeOf(user.acquire('secret', { ttlMs: LONG_TTL_MS })), RESPONSE_CODE.NO_PERMISSION);
    assert.equal(await codeOf(anonymous.acquire('orders', { ttlMs: LONG_TTL_MS })), RESPONSE_CODE.NO_PERMISSION);
    assert.equal(await user.status('payroll'), undefined);
    assert.equal(await codeOf(user.status('secret')), RESPONSE_CODE.NO_PERMISSION);
    assert.equal(await codeOf(user.list()), RESPONSE_CODE.NO_PERMISSION);
    assert.deepEqual(
      (await boss.list()).map((entry) => entry.name),
      ['orders'],
    );
    await lock.release();
  } finally {
    user.close();
    boss.close();
    anonymous.close();
    await secured.stop();
    dir.remove();
  }
});

test('lock acquire holds the lock until Ctrl-C, then releases it and exits 0', async () => {
  const cli = CliProcess.tributary(['lock', 'acquire', 'cli-ctrl-c', '--ttl-ms', '1000', '--broker', broker.address]);
  const printed = await cli.waitFor('the grant line', WAIT_MS, () =>
    cli.stdout.includes('\n') ? (JSON.parse(cli.stdout.split('\n')[0]!) as { fence: number }) : undefined,
  );
  const other = client();
  // Held past its 1 s lease: the command renews it.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(await other.tryAcquire('cli-ctrl-c', { ttlMs: LONG_TTL_MS }), undefined);
  cli.child.kill('SIGINT');
  assert.equal((await cli.exited).code, 0, cli.stderr);
  const next = await other.tryAcquire('cli-ctrl-c', { ttlMs: LONG_TTL_MS });
  assert.ok(next !== undefined && next.fence > printed.fence, 'Ctrl-C released the lock');
});

test("idle connections: a holder's and a waiter's keepalives outlast the broker's idle timeout; a silent holder's closed connection ends in a 'connection-closed' lost event", async () => {
  const dir = temporaryDirectory('locks-idle');
  const idleTimeoutMs = 1000;
  const idle = await startBrokerProcess({
    dataDirectory: dir.path,
    label: 'idle-broker',
    connectionLimits: { idleTimeoutMs },
  });
  const keptAlive = { broker: idle.address, keepAliveIntervalMs: idleTimeoutMs / 4 };
  const holder = new LockClient(keptAlive);
  const waiter = new LockClient(keptAlive);
  const silent = new LockClient({ broker: idle.address, keepAliveIntervalMs: 0 });
  try {
    const lock = await holder.acquire('idle', { ttlMs: LONG_TTL_MS });
    const waiting = waiter.acquire('idle', { ttlMs: LONG_TTL_MS });
    const lostEvent = new Promise<LockLostEvent>((resolve) => silent.once('lost', resolve));
    const silentLock = await silent.acquire('idle-silent', { ttlMs: LONG_TTL_MS });
    const event = await lostEvent; // Comes after the idle timeout closes the silent connection.
    assert.equal(event.reason, 'connection-closed');
    assert.equal(event.fence, silentLock.fence);
    assert.equal((await holder.status('idle'))?.waiters, 1, 'the waiter kept its place');
    await lock.release();
    assert.ok((await waiting).fence > lock.fence);
  } finally {
    holder.close();
    waiter.close();
    silent.close();
    await idle.stop();
    dir.remove();
  }
});

test.run();
