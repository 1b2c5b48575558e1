// A state machine snapshot the log cannot back is discarded at open (LogBackedStateMachine):
// after the log was cut (a deposed master's unreplicated tail, a crash between the cut and the
// snapshots' removal) a snapshot covering the cut commands would otherwise become the state,
// and every command logged after the cut at offsets it claims to cover would be skipped.
// Real stores and files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { discardedSnapshots } from '../../broker/state/discarded-snapshots.js';
import { LogBackedStateMachine } from '../../broker/state/log-backed-state-machine.js';
import { MessageStore } from '../../storage/index.js';
import { COUNTER_MACHINE, COUNTER_STORE_OPTIONS } from '../support/counter-state-machine.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

test('a snapshot covering commands past the log end after the log was cut is discarded and the state rebuilt from the log', async () => {
  const directory = temporaryDirectory('snapshot-backing');
  const storeDirectory = path.join(directory.path, 'store');
  const stateDirectory = path.join(directory.path, 'state');
  fs.mkdirSync(stateDirectory);
  const snapshotFile = path.join(stateDirectory, 'counter.snapshot');
  let store = await MessageStore.open(storeDirectory, COUNTER_STORE_OPTIONS);
  try {
    let machine = LogBackedStateMachine.open(store, stateDirectory, COUNTER_MACHINE);
    for (const add of [1, 2, 3]) await machine.submit({ add });
    const cut = store.commitLogMaxOffset;
    for (const add of [10, 20]) await machine.submit({ add });
    await machine.snapshot();
    await store.close();
    await MessageStore.truncateLog(storeDirectory, cut, COUNTER_STORE_OPTIONS);
    store = await MessageStore.open(storeDirectory, COUNTER_STORE_OPTIONS);
    machine = LogBackedStateMachine.open(store, stateDirectory, COUNTER_MACHINE);
    assert.equal(machine.state.sum, 6, 'the commands the log holds, not the snapshot covering cut ones');
    assert.ok(!fs.existsSync(snapshotFile), 'the snapshot is deleted');
    assert.deepEqual(
      discardedSnapshots(stateDirectory).map(({ machine, snapshotNextOffset, queueEnd }) => ({
        machine,
        snapshotNextOffset,
        queueEnd,
      })),
      [{ machine: 'counter', snapshotNextOffset: 5, queueEnd: 3 }],
    );
    // Commands logged after the cut reuse the cut offsets: a restart applies them.
    await machine.submit({ add: 100 });
    await machine.snapshot();
    await machine.submit({ add: 1000 });
    await store.close();
    store = await MessageStore.open(storeDirectory, COUNTER_STORE_OPTIONS);
    assert.equal(LogBackedStateMachine.open(store, stateDirectory, COUNTER_MACHINE).state.sum, 1106);
    assert.equal(discardedSnapshots(stateDirectory).length, 1, 'a snapshot the log backs is kept');
  } finally {
    await store.close();
    directory.remove();
  }
});

test.run();
