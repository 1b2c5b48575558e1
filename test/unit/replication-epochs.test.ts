// The HA handshake's epochs (controller mode): a master refuses a replica that knows a newer
// master (stale epoch), a replica follows a master of its own epoch or newer, and only a
// controlled master (epoch > 0) tells replicas how far its in-sync replicas hold the log.
// Real stores and a real HA socket on loopback.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { ReplicaFollower } from '../../broker/replication/replica-follower.js';
import { ReplicationServer } from '../../broker/replication/replication-server.js';
import { MessageStore } from '../../storage/index.js';
import { pollUntil } from '../support/broker-requests.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const OPTIONS = { segmentBytes: 64 * 1024, indexSlotCount: 1024, indexEntryCount: 4096 };
const WAIT_MS = 10_000;

async function handshake(
  masterEpoch: number,
  replicaEpoch: number,
  check: (
    follower: ReplicaFollower,
    master: MessageStore,
    replica: MessageStore,
    server: ReplicationServer,
  ) => Promise<void>,
): Promise<void> {
  const directories = [temporaryDirectory('epoch-master'), temporaryDirectory('epoch-replica')];
  const master = await MessageStore.open(directories[0]!.path, OPTIONS);
  const replica = await MessageStore.open(directories[1]!.path, OPTIONS);
  replica.setReadOnly(true);
  const errors: unknown[] = [];
  const server = new ReplicationServer(master, 'b', OPTIONS.segmentBytes, (error) => errors.push(error));
  server.epoch = masterEpoch;
  const port = await server.listen('127.0.0.1', 0);
  const follower = new ReplicaFollower(
    replica,
    {
      brokerName: 'b',
      nameServers: [],
      segmentBytes: OPTIONS.segmentBytes,
      replicaId: 2,
      epoch: replicaEpoch,
      locate: async () => ({ masterAddress: '127.0.0.1:1', haAddress: `127.0.0.1:${port}` }),
    },
    { appended: () => undefined, installSnapshot: async () => undefined, onError: () => undefined },
  );
  try {
    await master.append({ topic: 'epochs', queueId: 0, body: Buffer.from('first') });
    follower.start();
    await check(follower, master, replica, server);
  } finally {
    await follower.close();
    await server.close();
    await Promise.all([master.close(), replica.close()]);
    for (const directory of directories) directory.remove();
  }
}

test('replication epochs: a master refuses a replica that knows a newer epoch, and the replica copies nothing', async () => {
  await handshake(5, 7, async (follower, _master, replica) => {
    const refused = await pollUntil('a refusal', WAIT_MS, () =>
      follower.state.refusals > 0 ? follower.state : undefined,
    );
    assert.match(refused.refusal ?? '', /epoch 5 is older than 7/);
    assert.equal(replica.commitLogMaxOffset, 0);
  });
});

test('replication epochs: a replica follows a master of a newer epoch, learns its id, and gets the confirmed end', async () => {
  await handshake(7, 5, async (follower, master, _replica, server) => {
    await pollUntil('the replica caught up', WAIT_MS, () =>
      follower.confirmedEnd === master.commitLogMaxOffset ? true : undefined,
    );
    assert.equal(follower.state.refusals, 0);
    assert.deepEqual(
      server.replicas.map((replica) => replica.replicaId),
      [2],
    );
  });
});

test('replication epochs: a static master (epoch 0) sends no confirmed end; its replica still copies the log', async () => {
  await handshake(0, 0, async (follower, master, replica) => {
    await pollUntil('the replica caught up', WAIT_MS, () =>
      replica.commitLogMaxOffset === master.commitLogMaxOffset ? true : undefined,
    );
    assert.equal(follower.confirmedEnd, 0);
  });
});

test.run();
