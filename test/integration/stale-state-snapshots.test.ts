// A state machine never trusts a snapshot its log cannot back (ARCHITECTURE.md §4): a broker
// whose commit log was wiped while its state directory stayed, restarted or joining a master
// as a replica, rebuilds its state from the log it has (and its master streams) instead of
// loading the old snapshot and skipping every command below its offset. Brokers are processes;
// the stale snapshot is made by a broker in this process on the directory first.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { startBroker } from '../../broker/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { TEST_STORE_OPTIONS, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { createTopic } from '../support/broker-requests.js';
import { REPLICATED_BROKER_NAME, startMaster, startReplica, waitSameLog } from '../support/replicated-set.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const STALE_TOPICS = ['StaleOne', 'StaleTwo', 'StaleThree'];
const FRESH_TOPIC = 'FreshAfterWipe';
const JOINED_TOPIC = 'CreatedAfterJoin';
const WAIT_MS = 20_000;

/** A broker on the directory creates topics and snapshots the topic machine over them. */
async function makeStaleSnapshot(client: RemotingClient, dataDirectory: string): Promise<void> {
  const broker = await startBroker({
    host: '127.0.0.1',
    advertisedHost: '127.0.0.1',
    port: 0,
    dataDirectory,
    brokerName: REPLICATED_BROKER_NAME,
    store: TEST_STORE_OPTIONS,
  });
  try {
    for (const topic of STALE_TOPICS) await createTopic(client, broker.address, topic, 1);
    await broker.context.topics.stateMachine.snapshot();
  } finally {
    await broker.close();
  }
}

async function answerBody(client: RemotingClient, address: string, code: number): Promise<any> {
  const response = await client.invoke(address, { code }, 5000);
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  return JSON.parse(Buffer.concat([response.body ?? Buffer.alloc(0)].flat()).toString('utf8'));
}

async function topicsOf(client: RemotingClient, address: string): Promise<Record<string, unknown>> {
  return (await answerBody(client, address, REQUEST_CODE.GET_ALL_TOPIC_CONFIG)).topicConfigTable;
}

test('a broker whose commit log was wiped but not its state directory comes back with the state its log holds, not the stale snapshot', async () => {
  const directory = temporaryDirectory('stale-snap-wiped');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let broker: BrokerProcess | undefined;
  try {
    await makeStaleSnapshot(client, directory.path);
    fs.rmSync(path.join(directory.path, 'store'), { recursive: true });
    broker = await startMaster(directory.path, { role: 'async-master' });
    await createTopic(client, broker.address, FRESH_TOPIC, 1);
    // Restarted, it recovers from its state directory and log alone.
    await stopAll([broker]);
    broker = await startMaster(directory.path, { role: 'async-master' });
    const topics = await topicsOf(client, broker.address);
    assert.ok(FRESH_TOPIC in topics, `a command the log holds is applied: ${Object.keys(topics).join(', ')}`);
    for (const topic of STALE_TOPICS) assert.ok(!(topic in topics), `${topic} lived only in the stale snapshot`);
    const status = await answerBody(client, broker.address, REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS);
    assert.ok(status.snapshotsDiscarded >= 1, JSON.stringify(status));
  } finally {
    client.close();
    await stopAll([broker]);
    directory.remove();
  }
});

test('a replica with an empty log and stale snapshot files joining an untrimmed master converges to its state', async () => {
  const masterDirectory = temporaryDirectory('stale-snap-master');
  const replicaDirectory = temporaryDirectory('stale-snap-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
    await makeStaleSnapshot(client, replicaDirectory.path);
    fs.rmSync(path.join(replicaDirectory.path, 'store'), { recursive: true });
    master = await startMaster(masterDirectory.path, { role: 'async-master' });
    await createTopic(client, master.address, FRESH_TOPIC, 1);
    replica = await startReplica(replicaDirectory.path, master.nameServers);
    await createTopic(client, master.address, JOINED_TOPIC, 1);
    await waitSameLog(masterDirectory.path, replicaDirectory.path, WAIT_MS);
    const expected = await topicsOf(client, master.address);
    assert.ok(JOINED_TOPIC in expected && FRESH_TOPIC in expected);
    assert.deepEqual(await topicsOf(client, replica.address), expected);
    const status = await answerBody(client, replica.address, REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS);
    assert.ok(status.snapshotsDiscarded >= 1, JSON.stringify(status));
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test.run();
