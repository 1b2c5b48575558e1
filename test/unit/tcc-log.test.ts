// The TCC coordinator's state tables and its log: the tables forbid the moves TCC must never
// make (a committing global rolled back, a cancelled branch tried or confirmed), the log ignores
// such a command on replay, a global finishes with the command ending its last branch, and a
// snapshot plus the commands after it restore the same globals after a reopen.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { TccLog } from '../../broker/state/tcc-log.js';
import {
  TCC_BRANCH_TRANSITIONS,
  TCC_GLOBAL_TRANSITIONS,
  isLegalBranchMove,
  isLegalGlobalMove,
} from '../../broker/tcc/tcc-states.js';
import { MessageStore } from '../../storage/index.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const STORE_OPTIONS = { segmentBytes: 1 << 20, indexSlotCount: 1024, indexEntryCount: 4096 };

test('tcc tables: a decision is final, a cancelled branch never tries or confirms, end states are final', () => {
  assert.equal(isLegalGlobalMove('committing', 'rolling_back'), false);
  assert.equal(isLegalGlobalMove('rolling_back', 'committing'), false);
  assert.equal(isLegalBranchMove('cancelled', 'tried'), false);
  assert.equal(isLegalBranchMove('cancelled', 'confirmed'), false);
  assert.equal(isLegalBranchMove('registered', 'confirmed'), false);
  assert.equal(isLegalBranchMove('try_failed', 'confirmed'), false);
  assert.equal(isLegalBranchMove('registered', 'cancelled'), true);
  for (const table of [TCC_GLOBAL_TRANSITIONS, TCC_BRANCH_TRANSITIONS] as Record<string, readonly string[]>[])
    for (const [from, to] of Object.entries(table))
      for (const target of to) assert.ok(target in table, `${from} -> ${target} names a known state`);
  assert.deepEqual(TCC_GLOBAL_TRANSITIONS.committed, []);
  assert.deepEqual(TCC_BRANCH_TRANSITIONS.confirmed, []);
});

test('tcc log: illegal moves are ignored, a global finishes with its last branch, and a snapshot reopens the same', async () => {
  const directory = temporaryDirectory('tcc-log');
  const stateDirectory = path.join(directory.path, 'state');
  fs.mkdirSync(stateDirectory);
  let store = await MessageStore.open(path.join(directory.path, 'store'), STORE_OPTIONS);
  try {
    let log = new TccLog(store, stateDirectory);
    await log.record({ op: 'begin', xid: 'g1', createdMs: 1, timeoutAtMs: 2 });
    await log.record({ op: 'register', xid: 'g1', resource: 'a', payload: 'eA==' });
    await log.record({ op: 'register', xid: 'g1', resource: 'b', payload: 'eA==' });
    await log.record({ op: 'branch', xid: 'g1', resource: 'a', state: 'tried' });
    await log.record({ op: 'decide', xid: 'g1', state: 'rolling_back' });
    await log.record({ op: 'decide', xid: 'g1', state: 'committing' }); // Illegal: ignored.
    await log.record({ op: 'branch', xid: 'g1', resource: 'b', state: 'cancelled', empty: true });
    await log.record({ op: 'begin', xid: 'g2', createdMs: 3, timeoutAtMs: 4 });
    await log.stateMachine.snapshot();
    await log.record({ op: 'register', xid: 'g2', resource: 'a', payload: '' });
    assert.equal(log.global('g1')!.state, 'rolling_back');
    await log.record({ op: 'branch', xid: 'g1', resource: 'a', state: 'cancelled' });
    await log.record({ op: 'branch', xid: 'g1', resource: 'a', state: 'tried' }); // After cancel: ignored.
    const view = (l: TccLog): unknown => ({
      g1: [l.global('g1')?.state, [...l.global('g1')!.branches.values()].map((b) => [b.state, b.emptyRollback])],
      g2: [l.global('g2')?.state, [...l.global('g2')!.branches.keys()]],
      unfinished: l.unfinishedCount,
    });
    const before = view(log);
    assert.deepEqual(before, {
      g1: [
        'rolled_back',
        [
          ['cancelled', false],
          ['cancelled', true],
        ],
      ],
      g2: ['trying', ['a']],
      unfinished: 1,
    });
    await store.close();
    store = await MessageStore.open(path.join(directory.path, 'store'), STORE_OPTIONS);
    log = new TccLog(store, stateDirectory);
    assert.deepEqual(view(log), before);
  } finally {
    await store.close();
    directory.remove();
  }
});

test.run();
