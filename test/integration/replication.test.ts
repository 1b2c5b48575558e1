// Master-slave replication with real processes on loopback (README "Topologies"): a replica
// converges on its master's commit log byte for byte under several producers, a sync master
// acknowledges a send only once its replica holds it and answers SLAVE_NOT_AVAILABLE without
// one, a stopped replica catches up, and a replica whose log diverged is refused.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Producer } from '../../client/index.js';
import { ClientError } from '../../client/client-error.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import {
  startNameServerProcess,
  stopAll,
  type BrokerProcess,
  type NameServerProcess,
} from '../support/broker-processes.js';
import { createTopic, pollUntil, queryConsumerOffset } from '../support/broker-requests.js';
import {
  commitLogBytes,
  startMaster,
  startReplica,
  waitForMasterRoute,
  waitInSync,
} from '../support/replicated-set.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CONVERGE_TIMEOUT_MS = 20_000;
const PRODUCERS = 4;

async function produce(
  nameServer: string,
  topic: string,
  count: number,
  label: string,
  seed: number,
): Promise<string[]> {
  const random = seededRandom(label, seed, false);
  const producers = Array.from({ length: PRODUCERS }, (_, i) => new Producer({ nameServer, group: `${label}-${i}` }));
  await Promise.all(producers.map((producer) => producer.start()));
  try {
    const ids: string[] = [];
    await Promise.all(
      producers.map(async (producer, p) => {
        for (let i = p; i < count; i += PRODUCERS) {
          const body = Buffer.concat([Buffer.from(`${label}-${i}:`), random.bytes(random.between(1, 2048))]);
          const result = await sendRidingOutReplicaLag(producer, { topic, body, keys: [`${label}-${i}`] });
          ids.push(result.msgId);
        }
      }),
    );
    return ids;
  } finally {
    await Promise.all(producers.map((producer) => producer.shutdown()));
  }
}

/** Replica lag answers that a loaded machine can cause for a moment; a send is retried past them. */
const REPLICA_LAG_CODES: readonly number[] = [RESPONSE_CODE.SLAVE_NOT_AVAILABLE, RESPONSE_CODE.FLUSH_SLAVE_TIMEOUT];
const LAG_RETRIES_MAX = 100;
const LAG_RETRY_PAUSE_MS = 100;

/**
 * A sync master refuses a send while no replica is in sync; on this shared test machine a
 * replica can miss its report window under load. The message is retried (it may then be stored
 * twice, which convergence does not mind); any other error fails the test.
 */
async function sendRidingOutReplicaLag(
  producer: Producer,
  message: Parameters<Producer['send']>[0],
): ReturnType<Producer['send']> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await producer.send(message);
    } catch (error) {
      const code = error instanceof ClientError ? error.responseCode : undefined;
      if (code === undefined || !REPLICA_LAG_CODES.includes(code) || attempt >= LAG_RETRIES_MAX) throw error;
      await new Promise((resolve) => setTimeout(resolve, LAG_RETRY_PAUSE_MS));
    }
  }
}

function waitConverged(master: BrokerProcess, replica: BrokerProcess): Promise<number> {
  return pollUntil('the replica converges on the master', CONVERGE_TIMEOUT_MS, () => {
    const mine = commitLogBytes(master.dataDirectory);
    const copy = commitLogBytes(replica.dataDirectory);
    return mine.length > 0 && mine.equals(copy) ? mine.length : undefined;
  });
}

/** How many records the replica counted in its lag (FollowerStatus.lag.count). */
async function lagCounted(client: RemotingClient, replicaAddress: string): Promise<number> {
  const response = await client.invoke(replicaAddress, { code: REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS }, 5000);
  assert.equal(response.code, RESPONSE_CODE.SUCCESS);
  const status = JSON.parse(Buffer.concat([response.body as Buffer]).toString('utf8')) as {
    follower: { lag: { count: number } };
  };
  return status.follower.lag.count;
}

async function topicsOf(client: RemotingClient, address: string): Promise<string[]> {
  const response = await client.invoke(address, { code: REQUEST_CODE.GET_ALL_TOPIC_CONFIG }, 5000);
  assert.equal(response.code, RESPONSE_CODE.SUCCESS);
  const body = JSON.parse(response.body!.toString('utf8')) as { topicConfigTable: Record<string, unknown> };
  return Object.keys(body.topicConfigTable).sort();
}

test('replication: a replica converges byte-identical on its sync master under several producers, topics included', async () => {
  const { seed } = seededRandom('replication converge');
  const masterDirectory = temporaryDirectory('repl-master');
  const replicaDirectory = temporaryDirectory('repl-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
    master = await startMaster(masterDirectory.path);
    replica = await startReplica(replicaDirectory.path, master.nameServers);
    await createTopic(client, master.address, 'ReplicatedTopic', 4);
    await waitInSync(client, master.address);
    await waitForMasterRoute(client, master.nameServerAddress!, 'ReplicatedTopic', master.address);
    // 1 MiB test segments: 1,200 messages of up to 2 KiB roll at least one, a blank marker included.
    await produce(master.nameServerAddress!, 'ReplicatedTopic', 1200, 'converge', seed);
    const bytes = await waitConverged(master, replica);
    assert.ok(bytes > 1024 * 1024, `${bytes} bytes replicated`);
    assert.deepEqual(await topicsOf(client, replica.address), await topicsOf(client, master.address));
    // A committed offset is a state machine command in the master's log: the replica replays it.
    const commit = await client.invoke(
      master.address,
      {
        code: REQUEST_CODE.UPDATE_CONSUMER_OFFSET,
        extFields: { consumerGroup: 'replicated-group', topic: 'ReplicatedTopic', queueId: 2, commitOffset: 17 },
      },
      5000,
    );
    assert.equal(commit.code, RESPONSE_CODE.SUCCESS);
    await pollUntil('the replica replays the committed offset', CONVERGE_TIMEOUT_MS, async () =>
      (await queryConsumerOffset(client, replica!.address, 'replicated-group', 'ReplicatedTopic', 2)) === 17
        ? true
        : undefined,
    );
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test('replication: a sync master answers SLAVE_NOT_AVAILABLE once its only replica is gone, and a restarted replica catches up, counting lag only for records appended while it follows', async () => {
  const { seed } = seededRandom('replication sync master');
  const masterDirectory = temporaryDirectory('repl-master');
  const replicaDirectory = temporaryDirectory('repl-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
    master = await startMaster(masterDirectory.path);
    await createTopic(client, master.address, 'SyncTopic', 2);
    const producer = new Producer({ nameServer: master.nameServerAddress!, group: 'sync-alone', retries: 0 });
    await producer.start();
    try {
      const refused = await producer.send({ topic: 'SyncTopic', body: Buffer.from('no replica') }).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(refused instanceof ClientError, `refused: ${String(refused)}`);
      assert.equal(refused.responseCode, RESPONSE_CODE.SLAVE_NOT_AVAILABLE);
      replica = await startReplica(replicaDirectory.path, master.nameServers);
      await pollUntil('a send acknowledged with the replica in sync', CONVERGE_TIMEOUT_MS, () =>
        producer.send({ topic: 'SyncTopic', body: Buffer.from('with replica') }).then(
          () => true,
          () => undefined,
        ),
      );
      await produce(master.nameServerAddress!, 'SyncTopic', 200, 'before-stop', seed);
      await waitConverged(master, replica);
      await replica.kill();
      // Until the master sees the connection close, a send waits and times out instead.
      const codes = [RESPONSE_CODE.SLAVE_NOT_AVAILABLE, RESPONSE_CODE.FLUSH_SLAVE_TIMEOUT] as number[];
      const alone = await pollUntil('SLAVE_NOT_AVAILABLE once the replica is gone', CONVERGE_TIMEOUT_MS, async () => {
        const outcome = await producer.send({ topic: 'SyncTopic', body: Buffer.from('replica killed') }).then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(outcome instanceof ClientError, `after the kill: ${String(outcome)}`);
        assert.ok(codes.includes(outcome.responseCode!), `code ${outcome.responseCode}`);
        return outcome.responseCode === RESPONSE_CODE.SLAVE_NOT_AVAILABLE ? outcome : undefined;
      });
      assert.equal(alone.responseCode, RESPONSE_CODE.SLAVE_NOT_AVAILABLE);
    } finally {
      await producer.shutdown();
    }
    await replica.restart();
    // The refused sends are in the master's log (stored, then not acknowledged): caught up, not lag.
    await waitConverged(master, replica);
    assert.equal(await lagCounted(client, replica.address), 0, 'records appended while the replica was down');
    await produce(master.nameServerAddress!, 'SyncTopic', 200, 'after-restart', seed + 1);
    await waitConverged(master, replica);
    assert.ok((await lagCounted(client, replica.address)) >= 200, 'records appended while it follows count');
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test('replication: a replica whose log diverged from its master is refused and keeps its log unchanged', async () => {
  const { seed } = seededRandom('replication divergence');
  const masterDirectory = temporaryDirectory('repl-master');
  const replicaDirectory = temporaryDirectory('repl-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
    // The future replica first runs as a master of its own and takes other messages.
    const alone = await startMaster(replicaDirectory.path, { role: 'async-master', label: 'other' });
    await createTopic(client, alone.address, 'DivergedTopic', 1);
    await produce(alone.nameServerAddress!, 'DivergedTopic', 50, 'other-log', seed);
    await alone.stop();
    const before = commitLogBytes(replicaDirectory.path);
    master = await startMaster(masterDirectory.path, { role: 'async-master' });
    await createTopic(client, master.address, 'DivergedTopic', 1);
    await produce(master.nameServerAddress!, 'DivergedTopic', 100, 'master-log', seed + 1);
    replica = await startReplica(replicaDirectory.path, master.nameServers);
    await pollUntil('the master refuses the replica', CONVERGE_TIMEOUT_MS, () =>
      replica!.outputTail.includes('the master refused this replica') ? true : undefined,
    );
    assert.ok(commitLogBytes(replicaDirectory.path).equals(before), 'the replica log is unchanged');
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test('replication: a stalled replica (SIGSTOP) makes sends FLUSH_SLAVE_TIMEOUT, then leaves the in-sync set (SLAVE_NOT_AVAILABLE), and rejoins once resumed', async () => {
  const masterDirectory = temporaryDirectory('repl-master');
  const replicaDirectory = temporaryDirectory('repl-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  let stopped = false;
  try {
    master = await startMaster(masterDirectory.path, { syncReplicaTimeoutMs: 1000 });
    replica = await startReplica(replicaDirectory.path, master.nameServers);
    await createTopic(client, master.address, 'StallTopic', 1);
    const producer = new Producer({ nameServer: master.nameServerAddress!, group: 'stall', retries: 0 });
    await producer.start();
    const send = (): Promise<number> =>
      producer.send({ topic: 'StallTopic', body: Buffer.from('x') }).then(
        () => RESPONSE_CODE.SUCCESS,
        (error: unknown) => (error instanceof ClientError ? (error.responseCode ?? -1) : -1),
      );
    try {
      await pollUntil('a send acknowledged by the replica', CONVERGE_TIMEOUT_MS, async () =>
        (await send()) === RESPONSE_CODE.SUCCESS ? true : undefined,
      );
      process.kill(replica.pid!, 'SIGSTOP');
      stopped = true;
      assert.equal(await send(), RESPONSE_CODE.FLUSH_SLAVE_TIMEOUT);
      // Silent past REPLICA_IN_SYNC_SILENCE_MS_MAX (5 s): out of the in-sync set.
      await pollUntil('the stalled replica leaves the in-sync set', CONVERGE_TIMEOUT_MS, async () =>
        (await send()) === RESPONSE_CODE.SLAVE_NOT_AVAILABLE ? true : undefined,
      );
      process.kill(replica.pid!, 'SIGCONT');
      stopped = false;
      await pollUntil('the resumed replica back in sync', CONVERGE_TIMEOUT_MS, async () =>
        (await send()) === RESPONSE_CODE.SUCCESS ? true : undefined,
      );
    } finally {
      await producer.shutdown();
    }
  } finally {
    if (stopped && replica?.pid !== undefined) process.kill(replica.pid, 'SIGCONT');
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test('replication: a former master rejoining as a replica cuts its unreplicated tail (reported, counted) and converges on the new master', async () => {
  const { seed } = seededRandom('replication rejoin');
  const oldDirectory = temporaryDirectory('repl-old-master');
  const newDirectory = temporaryDirectory('repl-new-master');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let nameServer: NameServerProcess | undefined;
  let first: BrokerProcess | undefined;
  let second: BrokerProcess | undefined;
  try {
    nameServer = await startNameServerProcess();
    const shared = { nameServer: 'none' as const, nameServers: [nameServer.address] };
    first = await startMaster(oldDirectory.path, { ...shared, role: 'async-master' });
    second = await startReplica(newDirectory.path, [nameServer.address]);
    await createTopic(client, first.address, 'RejoinTopic', 2);
    await waitForMasterRoute(client, nameServer.address, 'RejoinTopic', first.address);
    await produce(nameServer.address, 'RejoinTopic', 100, 'shared', seed);
    await waitConverged(first, second);
    await second.stop();
    // Acknowledged by the async master alone: its replica is down.
    await produce(nameServer.address, 'RejoinTopic', 50, 'unreplicated', seed + 1);
    await first.stop();
    const oldLog = commitLogBytes(oldDirectory.path);
    second = await startMaster(newDirectory.path, { ...shared, role: 'async-master', label: 'new-master' });
    await createTopic(client, second.address, 'RejoinTopic', 2);
    await waitForMasterRoute(client, nameServer.address, 'RejoinTopic', second.address);
    await produce(nameServer.address, 'RejoinTopic', 30, 'new-master', seed + 2);
    first = await startReplica(oldDirectory.path, [nameServer.address], { label: 'old-master' });
    const bytes = await waitConverged(second, first);
    assert.ok(!commitLogBytes(oldDirectory.path).equals(oldLog), 'the old tail is gone');
    const status = await client.invoke(first.address, { code: REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS }, 5000);
    const body = JSON.parse(Buffer.concat([status.body as Buffer]).toString('utf8')) as {
      truncations: number;
      bytes: number;
    };
    assert.equal(body.truncations, 1);
    assert.ok(body.bytes > 0 && body.bytes < oldLog.length, `${body.bytes} bytes cut, ${bytes} bytes now shared`);
  } finally {
    client.close();
    await stopAll([first, second, nameServer]);
    oldDirectory.remove();
    newDirectory.remove();
  }
});

test.run();
