// A replica with an empty log joins a master whose retention already deleted its oldest
// segments (README "Topologies"): the master streams from its first retained offset, as
// RocketMQ's does, and the replica's log begins there; before, the master refused it (offset
// gone) and the replica retried forever. The state machine commands in the deleted segments
// reach it as the master's snapshots (install snapshot), so its topics, groups, offsets and
// config centre equal the master's, and still do once it is restarted as a master.
// Set-up, in this process: a broker on the master's directory creates that state and
// snapshots every machine (retention keeps any command no snapshot covers), then the log is
// filled without commands; the master broker's retention, made small through its store
// options, then trims the segment holding the commands.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { startBroker } from '../../broker/index.js';
import { Producer } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { MessageStore } from '../../storage/index.js';
import { TEST_STORE_OPTIONS, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import {
  brokerRuntimeInfo,
  createTopic,
  maxQueueOffset,
  pollUntil,
  queryConsumerOffset,
} from '../support/broker-requests.js';
import {
  REPLICATED_BROKER_NAME,
  startMaster,
  startReplica,
  waitForMasterRoute,
  waitSameLog,
} from '../support/replicated-set.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const TOPIC = 'TrimmedTopic';
const OTHER_TOPIC = 'TrimmedOther';
const GROUP = 'trimmed-group';
const QUEUES = 2;
/** Messages per queue before the state is made, so committed offsets are inside the queues. */
const EARLY_MESSAGES = 8;
const CONFIG = { env: 'test', namespace: 'trimmed', group: 'DEFAULT_GROUP', key: 'answer' };
/** 3.5 test segments (1 MiB each): retention leaves only the last. */
const FILL_BYTES = 3.5 * 1024 * 1024;
/** One second: the filled segments are past it by the time the master has started. */
const RETENTION_HOURS = 1 / 3600;
const RETENTION_CHECK_INTERVAL_MS = 200;
const WAIT_MS = 20_000;

/** The commit log's segment offsets (their file names), in order. */
function segmentOffsets(dataDirectory: string): number[] {
  const directory = path.join(dataDirectory, 'store', 'commitlog');
  const names = fs.existsSync(directory) ? fs.readdirSync(directory).filter((name) => /^\d{20}$/.test(name)) : [];
  return names.map(Number).sort((a, b) => a - b);
}

async function fill(dataDirectory: string, seed: number): Promise<void> {
  const random = seededRandom('trimmed fill', seed, false);
  const store = await MessageStore.open(path.join(dataDirectory, 'store'), { ...TEST_STORE_OPTIONS, flush: 'async' });
  try {
    for (let bytes = 0, i = 0; bytes < FILL_BYTES; i++) {
      const body = random.bytes(random.between(512, 4096));
      await store.append({ topic: TOPIC, queueId: i % QUEUES, body, keys: [`fill-${i}`] });
      bytes += body.length;
    }
  } finally {
    await store.close();
  }
}

async function appendEarlyMessages(dataDirectory: string): Promise<void> {
  const store = await MessageStore.open(path.join(dataDirectory, 'store'), { ...TEST_STORE_OPTIONS, flush: 'async' });
  try {
    for (let i = 0; i < EARLY_MESSAGES * QUEUES; i++)
      await store.append({ topic: TOPIC, queueId: i % QUEUES, body: Buffer.from(`early ${i}`) });
  } finally {
    await store.close();
  }
}

/**
 * A broker on the master's directory makes topics, a group, committed offsets and a config
 * item, then snapshots every machine, so retention may delete the commands; returns the offsets
 * and the log end (all of it in the first segment, which retention deletes later).
 */
async function makeStateAndSnapshot(client: RemotingClient, dataDirectory: string, seed: number): Promise<number[]> {
  const random = seededRandom('trimmed state', seed, false);
  const broker = await startBroker({
    host: '127.0.0.1',
    advertisedHost: '127.0.0.1',
    port: 0,
    dataDirectory,
    brokerName: REPLICATED_BROKER_NAME,
    store: TEST_STORE_OPTIONS,
  });
  try {
    await createTopic(client, broker.address, TOPIC, QUEUES);
    await createTopic(client, broker.address, OTHER_TOPIC, 1);
    const { context } = broker;
    await context.groups.ensure(GROUP);
    const offsets = Array.from({ length: QUEUES }, () => random.between(1, EARLY_MESSAGES));
    for (let queueId = 0; queueId < QUEUES; queueId++) {
      const request = {
        code: REQUEST_CODE.UPDATE_CONSUMER_OFFSET,
        extFields: { consumerGroup: GROUP, topic: TOPIC, queueId, commitOffset: offsets[queueId]! },
      };
      const response = await client.invoke(broker.address, request, 5000);
      assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
    }
    await context.configCentre.publish(CONFIG, `forty-two ${seed}`, { author: 'test', time: Date.now(), comment: '' });
    const machines = [
      ...[context.topics, context.groups, context.offsets, context.locks, context.transactions, context.tcc].map(
        (part) => part.stateMachine,
      ),
      context.scheduler.machine,
      context.ids.stateMachine,
      context.quotas.table.stateMachine,
      context.distributedLocks.stateMachine,
      context.configCentre.stateMachine,
    ];
    for (const machine of machines) await machine.snapshot();
    assert.ok(context.store.commitLogMaxOffset < TEST_STORE_OPTIONS.segmentBytes!, 'the commands are in segment 0');
    return offsets;
  } finally {
    await broker.close();
  }
}

/** The JSON body of an admin request's answer. */
async function answerBody(client: RemotingClient, address: string, code: number, body?: object): Promise<any> {
  const request = { code, body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)) };
  const response = await client.invoke(address, request, 5000);
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  return JSON.parse(Buffer.concat([response.body ?? Buffer.alloc(0)].flat()).toString('utf8'));
}

/** What the state machines hold, as admin requests answer it. */
async function stateOf(client: RemotingClient, address: string): Promise<unknown> {
  const topics = await answerBody(client, address, REQUEST_CODE.GET_ALL_TOPIC_CONFIG);
  const groups = await answerBody(client, address, REQUEST_CODE.GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
  const offsets: (number | undefined)[] = [];
  for (let queueId = 0; queueId < QUEUES; queueId++)
    offsets.push(await queryConsumerOffset(client, address, GROUP, TOPIC, queueId));
  return { topics: topics.topicConfigTable, groups: groups.subscriptionGroupTable, offsets };
}

async function minQueueOffset(client: RemotingClient, address: string, queueId: number): Promise<number> {
  const request = { code: REQUEST_CODE.GET_MIN_OFFSET, extFields: { topic: TOPIC, queueId } };
  const response = await client.invoke(address, request, 5000);
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  return Number(response.extFields?.offset);
}

/** Each queue starts past 0 on the master (retention trimmed it), and the replica's spans the same offsets. */
async function expectSameTrimmedQueues(client: RemotingClient, master: string, replica: string): Promise<void> {
  for (let queueId = 0; queueId < QUEUES; queueId++) {
    const low = await minQueueOffset(client, master, queueId);
    assert.ok(low > 0, `queue ${queueId} starts at ${low} on the master`);
    assert.equal(await minQueueOffset(client, replica, queueId), low);
    assert.equal(
      await maxQueueOffset(client, replica, TOPIC, queueId),
      await maxQueueOffset(client, master, TOPIC, queueId),
    );
  }
}

/** New messages and a new topic on the master, once the replica has joined. */
async function sendAndCreateAfterJoin(client: RemotingClient, master: BrokerProcess): Promise<void> {
  await waitForMasterRoute(client, master.nameServerAddress!, TOPIC, master.address);
  const producer = new Producer({ nameServer: master.nameServerAddress!, group: 'trimmed-after' });
  await producer.start();
  try {
    for (let i = 0; i < 20; i++) await producer.send({ topic: TOPIC, body: Buffer.from(`after the join ${i}`) });
  } finally {
    await producer.shutdown();
  }
  await createTopic(client, master.address, 'TrimmedAfterJoin', 1);
}

test('replication: an empty replica joining a master whose log retention trimmed installs its state machine snapshots, starts at its first offset and converges', async () => {
  const { seed } = seededRandom('replication trimmed master');
  const masterDirectory = temporaryDirectory('repl-trim-master');
  const replicaDirectory = temporaryDirectory('repl-trim-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
    await appendEarlyMessages(masterDirectory.path);
    const committed = await makeStateAndSnapshot(client, masterDirectory.path, seed);
    await fill(masterDirectory.path, seed);
    master = await startMaster(masterDirectory.path, {
      role: 'async-master',
      store: { retentionHours: RETENTION_HOURS, retentionCheckIntervalMs: RETENTION_CHECK_INTERVAL_MS },
    });
    // Retention leaves the segment holding the log end only: the log start stays put then.
    const segmentBytes = TEST_STORE_OPTIONS.segmentBytes!;
    const start = await pollUntil('retention trims the master log', WAIT_MS, async () => {
      const { commitLogMaxOffset } = await brokerRuntimeInfo(client, master!.address);
      const newest = commitLogMaxOffset! - (commitLogMaxOffset! % segmentBytes);
      return newest > 0 && segmentOffsets(masterDirectory.path)[0] === newest ? newest : undefined;
    });
    // Segment 0, with every command made above, is gone: only the snapshots hold that state.
    assert.ok(start > 0 && !segmentOffsets(masterDirectory.path).includes(0));
    const masterState = await stateOf(client, master.address);
    assert.deepEqual((masterState as { offsets: unknown }).offsets, committed);
    replica = await startReplica(replicaDirectory.path, master.nameServers);
    const converged = (): Promise<number> => waitSameLog(masterDirectory.path, replicaDirectory.path, WAIT_MS);
    await converged();
    assert.equal(segmentOffsets(replicaDirectory.path)[0], start, 'the replica log begins at the master log start');
    assert.ok(!replica.outputTail.includes('refused'), replica.outputTail);
    const status = await answerBody(client, replica.address, REQUEST_CODE.TRIBUTARY_REPLICATION_STATUS);
    assert.ok(status.follower.snapshotsInstalled > 0, JSON.stringify(status.follower));
    assert.deepEqual(await stateOf(client, replica.address), masterState);
    await expectSameTrimmedQueues(client, master.address, replica.address);
    // The stream goes on past the join: new sends and new state reach the replica too.
    await sendAndCreateAfterJoin(client, master);
    await converged();
    assert.deepEqual(await stateOf(client, replica.address), await stateOf(client, master.address));
    // Promoted (restarted as a master on its own directory), it recovers the installed snapshots.
    const expected = await stateOf(client, master.address);
    await stopAll([replica, master]);
    master = undefined;
    replica = await startMaster(replicaDirectory.path, { role: 'async-master' });
    assert.deepEqual(await stateOf(client, replica.address), expected);
    const { items } = await answerBody(client, replica.address, REQUEST_CODE.CONFIG_GET, { ...CONFIG, clientId: 'c' });
    assert.deepEqual(
      items.map((item: { key: string; value: string }) => [item.key, item.value]),
      [[CONFIG.key, `forty-two ${seed}`]],
    );
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test.run();
