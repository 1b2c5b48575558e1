// The distributed lock table (broker/state/distributed-lock-table.ts) on a real message store:
// the fencing counter and the holders survive a snapshot plus replay of the commands after it,
// and admits() says who may join a lock of each kind.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { LogBackedStateMachine } from '../../broker/state/log-backed-state-machine.js';
import {
  DISTRIBUTED_LOCK_TABLE,
  admits,
  type HeldLock,
  type LockTableCommand,
} from '../../broker/state/distributed-lock-table.js';
import { DISTRIBUTED_LOCK_FENCE_RESTART_GAP } from '../../broker/broker-constants.js';
import { DistributedLockService } from '../../broker/locks/distributed-lock-service.js';
import { MessageStore } from '../../storage/index.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

/** Snapshots every few commands, so reopening loads a snapshot and replays a tail. */
const SNAPSHOT_EVERY_COMMANDS = 4;
const grant = (name: string, token: string): LockTableCommand => ({
  op: 'grant',
  name,
  kind: 'mutex',
  permits: 1,
  token,
  mode: 'write',
  leaseMs: 1000,
});

test('the fencing counter and holders survive a snapshot plus replay: a reopened table never reissues a token', async () => {
  const directory = temporaryDirectory('lock-table');
  const stateDirectory = path.join(directory.path, 'state');
  fs.mkdirSync(stateDirectory);
  const open = (): Promise<MessageStore> =>
    MessageStore.open(path.join(directory.path, 'store'), {
      segmentBytes: 1 << 20,
      indexSlotCount: 1024,
      indexEntryCount: 4096,
    });
  let store = await open();
  try {
    let table = LogBackedStateMachine.open(store, stateDirectory, DISTRIBUTED_LOCK_TABLE, SNAPSHOT_EVERY_COMMANDS);
    for (let i = 0; i < 9; i++) {
      await table.submit(grant('churn', `t${i}`));
      await table.submit({ op: 'release', name: 'churn', token: `t${i}` });
    }
    await table.submit(grant('kept', 'owner'));
    await table.snapshot();
    await table.submit(grant('tail', 'late'));
    const lastFence = table.state.lastFence;
    assert.equal(lastFence, 11);
    await store.close();
    store = await open();
    table = LogBackedStateMachine.open(store, stateDirectory, DISTRIBUTED_LOCK_TABLE, SNAPSHOT_EVERY_COMMANDS);
    assert.equal(table.state.lastFence, lastFence);
    assert.deepEqual([...table.state.locks.keys()].sort(), ['kept', 'tail']);
    assert.equal(table.state.locks.get('kept')?.holders.get('owner')?.fence, 10);
    await table.submit(grant('churn', 'after'));
    assert.equal(table.state.locks.get('churn')?.holders.get('after')?.fence, lastFence + 1);
  } finally {
    await store.close();
    directory.remove();
  }
});

test('admits: a mutex one holder, rw many readers or one writer, a semaphore its permits', () => {
  const lock = (kind: HeldLock['kind'], permits: number, modes: ('read' | 'write' | 'permit')[]): HeldLock => ({
    kind,
    permits,
    holders: new Map(modes.map((mode, i) => [`t${i}`, { token: `t${i}`, mode, leaseMs: 1, fence: i + 1 }])),
  });
  assert.equal(admits(undefined, 'write'), true);
  assert.equal(admits(lock('mutex', 1, ['write']), 'write'), false);
  assert.equal(admits(lock('rw', 1, ['read', 'read']), 'read'), true);
  assert.equal(admits(lock('rw', 1, ['read']), 'write'), false);
  assert.equal(admits(lock('rw', 1, ['write']), 'read'), false);
  assert.equal(admits(lock('semaphore', 3, ['permit', 'permit']), 'permit'), true);
  assert.equal(admits(lock('semaphore', 2, ['permit', 'permit']), 'permit'), false);
});

test('every broker start leaps the fencing counter by the restart gap, logged, so tokens lost to an OS crash under async flush are never reissued', async () => {
  const directory = temporaryDirectory('lock-fence-gap');
  const stateDirectory = path.join(directory.path, 'state');
  fs.mkdirSync(stateDirectory);
  const errors: unknown[] = [];
  const start = async (): Promise<{ store: MessageStore; service: DistributedLockService }> => {
    const store = await MessageStore.open(path.join(directory.path, 'store'), {
      segmentBytes: 1 << 20,
      indexSlotCount: 1024,
      indexEntryCount: 4096,
    });
    const service = new DistributedLockService(store, stateDirectory, (error) => errors.push(error));
    await service.started;
    return { store, service };
  };
  let { store, service } = await start();
  try {
    assert.equal(service.stateMachine.state.lastFence, DISTRIBUTED_LOCK_FENCE_RESTART_GAP);
    await service.stateMachine.submit(grant('seen', 'owner'));
    service.close();
    await store.close();
    ({ store, service } = await start());
    assert.equal(service.stateMachine.state.lastFence, 2 * DISTRIBUTED_LOCK_FENCE_RESTART_GAP + 1);
    assert.deepEqual(errors, []);
  } finally {
    service.close();
    await store.close();
    directory.remove();
  }
});

test.run();
