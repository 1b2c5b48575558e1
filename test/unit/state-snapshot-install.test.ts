// A replica installing its master's state machine snapshot (LogBackedStateMachine.install, the
// install-snapshot step of replication): the state becomes the snapshot's, the file is written
// as the replica's own, and catch-up over a log holding commands the snapshot already covers
// applies each command once; a damaged snapshot is refused and changes nothing. Real stores.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { LogBackedStateMachine } from '../../broker/state/log-backed-state-machine.js';
import { SnapshotError } from '../../broker/state/state-snapshot.js';
import { MessageStore } from '../../storage/index.js';
import { COUNTER_MACHINE, COUNTER_STORE_OPTIONS } from '../support/counter-state-machine.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const LOG_BYTES_MAX = 1 << 20;

test('an installed snapshot becomes the state and catch-up applies only the commands after it, once; a damaged one is refused', async () => {
  const directory = temporaryDirectory('snapshot-install');
  const [masterState, replicaState] = ['master-state', 'replica-state'].map((name) => {
    const at = path.join(directory.path, name);
    fs.mkdirSync(at);
    return at;
  });
  const master = await MessageStore.open(path.join(directory.path, 'master'), COUNTER_STORE_OPTIONS);
  const open = (): Promise<MessageStore> =>
    MessageStore.open(path.join(directory.path, 'replica'), COUNTER_STORE_OPTIONS);
  let replica = await open();
  try {
    const source = LogBackedStateMachine.open(master, masterState!, COUNTER_MACHINE);
    for (let add = 1; add <= 5; add++) await source.submit({ add });
    const snapshot = source.currentSnapshot();
    await source.submit({ add: 10 });
    replica.setReadOnly(true);
    const target = LogBackedStateMachine.open(replica, replicaState!, COUNTER_MACHINE);
    const damaged = Buffer.from(snapshot);
    damaged[damaged.length - 1]! ^= 0x01;
    await assert.rejects(target.install(damaged), SnapshotError);
    assert.equal(target.state.sum, 0, 'a damaged snapshot changes nothing');
    assert.ok(!fs.existsSync(path.join(replicaState!, 'counter.snapshot')), 'nor is it written');
    await target.install(snapshot);
    assert.equal(target.state.sum, 15);
    // The whole master log, the five commands the snapshot covers included.
    const chunk = master.encodedFrom(0, LOG_BYTES_MAX)!;
    await replica.appendReplicated(0, Buffer.from(chunk.bytes));
    chunk.release();
    target.catchUp();
    assert.equal(target.state.sum, 25, 'the covered commands are not applied again');
    await replica.close();
    replica = await open();
    assert.equal(
      LogBackedStateMachine.open(replica, replicaState!, COUNTER_MACHINE).state.sum,
      25,
      'recovered from the file',
    );
  } finally {
    await master.close();
    await replica.close();
    directory.remove();
  }
});

test.run();
