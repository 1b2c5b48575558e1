// The broker's queue lock table (orderly consumption): grants, refusals, renewals, expiry and
// unlocks on an injected clock, and what a restart keeps, on a real message store.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { QueueLockManager, type LockedQueue } from '../../broker/state/queue-lock-manager.js';
import { MessageStore } from '../../storage/index.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const LIFETIME_MS = 60_000;
const GROUP = 'orders-group';
const A = '10.0.0.1@100#1';
const B = '10.0.0.2@200#1';

const queue = (queueId: number, topic = 'orders'): LockedQueue => ({ topic, brokerName: 'broker-a', queueId });
const ids = (queues: readonly LockedQueue[]): number[] => queues.map((q) => q.queueId);

/** A store and a lock manager on it, reopened by restart(), with a clock the test moves. */
async function lockTable(label: string): Promise<{
  locks: () => QueueLockManager;
  clock: { now: number };
  restart(): Promise<void>;
  close(): Promise<void>;
}> {
  const directory = temporaryDirectory(label);
  const stateDirectory = path.join(directory.path, 'state');
  fs.mkdirSync(stateDirectory);
  const clock = { now: 1_000_000 };
  const open = async (): Promise<{ store: MessageStore; manager: QueueLockManager }> => {
    const store = await MessageStore.open(path.join(directory.path, 'store'), {
      segmentBytes: 1 << 20,
      indexSlotCount: 1024,
      indexEntryCount: 4096,
    });
    return { store, manager: new QueueLockManager(store, stateDirectory, LIFETIME_MS, () => clock.now) };
  };
  let current = await open();
  return {
    locks: () => current.manager,
    clock,
    restart: async () => {
      await current.store.close();
      current = await open();
    },
    close: async () => {
      await current.store.close();
      directory.remove();
    },
  };
}

test('queue-lock-manager: a free queue is granted; one live-locked by another client is refused (queues=3)', async () => {
  const table = await lockTable('locks-grant');
  try {
    const locks = table.locks();
    assert.deepEqual(ids(await locks.lock(GROUP, A, [queue(0), queue(1)])), [0, 1]);
    assert.deepEqual(ids(await locks.lock(GROUP, B, [queue(1), queue(2)])), [2], 'B gets only the free queue');
    assert.equal(locks.holder(GROUP, queue(0)), A);
    assert.equal(locks.holder(GROUP, queue(1)), A);
    assert.equal(locks.holder(GROUP, queue(2)), B);
    assert.deepEqual(ids(await locks.lock('other-group', B, [queue(0)])), [0], 'locks are per group');
    assert.deepEqual(ids(await locks.lock(GROUP, A, [queue(0), queue(0)])), [0], 'a repeated queue counts once');
  } finally {
    await table.close();
  }
});

test('queue-lock-manager: renewing keeps a lock a full lifetime past the renewal; then it expires and is taken (lifetime=60s)', async () => {
  const table = await lockTable('locks-renew');
  try {
    const locks = table.locks();
    await locks.lock(GROUP, A, [queue(0)]);
    table.clock.now += 50_000;
    assert.deepEqual(ids(await locks.lock(GROUP, A, [queue(0)])), [0], 'the holder renews');
    table.clock.now += 50_000; // 100 s after the grant, 50 s after the renewal
    assert.deepEqual(ids(await locks.lock(GROUP, B, [queue(0)])), [], 'still live thanks to the renewal');
    table.clock.now += LIFETIME_MS - 50_000; // exactly one lifetime after the renewal: still live
    assert.deepEqual(ids(await locks.lock(GROUP, B, [queue(0)])), []);
    table.clock.now += 1;
    assert.equal(locks.holder(GROUP, queue(0)), undefined, 'expired');
    assert.deepEqual(ids(await locks.lock(GROUP, B, [queue(0)])), [0], 'an expired lock is taken over');
    assert.equal(locks.holder(GROUP, queue(0)), B);
    assert.deepEqual(ids(await locks.lock(GROUP, A, [queue(0)])), [], 'the old holder is refused now');
  } finally {
    await table.close();
  }
});

test('queue-lock-manager: unlock frees only the queues the caller holds', async () => {
  const table = await lockTable('locks-unlock');
  try {
    const locks = table.locks();
    await locks.lock(GROUP, A, [queue(0), queue(1)]);
    await locks.unlock(GROUP, B, [queue(0)]);
    assert.equal(locks.holder(GROUP, queue(0)), A, "B cannot unlock A's queue");
    await locks.unlock(GROUP, A, [queue(0)]);
    assert.equal(locks.holder(GROUP, queue(0)), undefined);
    assert.deepEqual(ids(await locks.lock(GROUP, B, [queue(0), queue(1)])), [0], 'the unlocked queue is free at once');
    assert.deepEqual(
      locks.locksOf(GROUP).map((lock) => `${lock.queue.queueId}:${lock.clientId}`),
      [`1:${A}`, `0:${B}`],
    );
  } finally {
    await table.close();
  }
});

test('queue-lock-manager: locks survive a restart and count as renewed at recovery (with and without snapshot)', async () => {
  const table = await lockTable('locks-restart');
  try {
    await table.locks().lock(GROUP, A, [queue(0), queue(1)]);
    await table.locks().stateMachine.snapshot();
    await table.locks().lock(GROUP, B, [queue(2)]); // after the snapshot: replayed from the log
    await table.locks().unlock(GROUP, A, [queue(1)]);
    table.clock.now += 55_000; // A last locked 55 s ago: 5 s of broker lifetime left before the restart
    await table.restart();
    const locks = table.locks();
    assert.equal(locks.holder(GROUP, queue(0)), A, 'the snapshot kept the lock');
    assert.equal(locks.holder(GROUP, queue(2)), B, 'the log after the snapshot kept the lock');
    assert.equal(locks.holder(GROUP, queue(1)), undefined, 'the unlock was kept too');
    table.clock.now += LIFETIME_MS - 1; // past the pre-restart lifetime, within one lifetime of recovery
    assert.deepEqual(ids(await locks.lock(GROUP, B, [queue(0)])), [], 'nobody else takes it');
    assert.deepEqual(ids(await locks.lock(GROUP, A, [queue(0)])), [0], 'the holder renews without a gap');
    await table.restart();
    assert.equal(table.locks().holder(GROUP, queue(0)), A, 'a second restart keeps it');
  } finally {
    await table.close();
  }
});

test('queue-lock-manager: expired locks are swept, and a restart does not bring them back', async () => {
  const table = await lockTable('locks-sweep');
  try {
    await table.locks().lock(GROUP, A, [queue(0), queue(1)]);
    table.clock.now += LIFETIME_MS + 1;
    await table.locks().lock(GROUP, B, [queue(5)]); // the lock path sweeps at most once a lifetime
    await table.restart();
    assert.deepEqual(ids(await table.locks().lock(GROUP, B, [queue(0), queue(1)])), [0, 1]);
  } finally {
    await table.close();
  }
});

test.run();
