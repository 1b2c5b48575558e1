// A replica with an empty log joins a master whose retention already deleted its oldest
// segments (README "Topologies"): the master streams from its first retained offset, as
// RocketMQ's does, and the replica's log begins there; before, the master refused it (offset
// gone) and the replica retried forever. The master's log is first filled in-process without
// state machine commands (a broker's own commands hold retention back until a snapshot covers
// them), then the master broker's retention, made small through its store options, trims it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { Producer } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { MessageStore } from '../../storage/index.js';
import { TEST_STORE_OPTIONS, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { brokerRuntimeInfo, createTopic, maxQueueOffset, pollUntil } from '../support/broker-requests.js';
import { startMaster, startReplica, waitForMasterRoute, waitSameLog } from '../support/replicated-set.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const TOPIC = 'TrimmedTopic';
const QUEUES = 2;
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

async function minQueueOffset(client: RemotingClient, address: string, queueId: number): Promise<number> {
  const request = { code: REQUEST_CODE.GET_MIN_OFFSET, extFields: { topic: TOPIC, queueId } };
  const response = await client.invoke(address, request, 5000);
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  return Number(response.extFields?.offset);
}

test('replication: an empty replica joining a master whose log retention trimmed starts at its first offset and converges', async () => {
  const { seed } = seededRandom('replication trimmed master');
  const masterDirectory = temporaryDirectory('repl-trim-master');
  const replicaDirectory = temporaryDirectory('repl-trim-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
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
    await createTopic(client, master.address, TOPIC, QUEUES);
    replica = await startReplica(replicaDirectory.path, master.nameServers);
    const converged = (): Promise<number> => waitSameLog(masterDirectory.path, replicaDirectory.path, WAIT_MS);
    await converged();
    assert.equal(segmentOffsets(replicaDirectory.path)[0], start, 'the replica log begins at the master log start');
    assert.ok(!replica.outputTail.includes('refused'), replica.outputTail);
    for (let queueId = 0; queueId < QUEUES; queueId++) {
      const low = await minQueueOffset(client, master.address, queueId);
      assert.ok(low > 0, `queue ${queueId} starts at ${low} on the master`);
      assert.equal(await minQueueOffset(client, replica.address, queueId), low);
      assert.equal(
        await maxQueueOffset(client, replica.address, TOPIC, queueId),
        await maxQueueOffset(client, master.address, TOPIC, queueId),
      );
    }
    // The stream goes on past the join: new sends reach the replica too.
    await waitForMasterRoute(client, master.nameServerAddress!, TOPIC, master.address);
    const producer = new Producer({ nameServer: master.nameServerAddress!, group: 'trimmed-after' });
    await producer.start();
    try {
      for (let i = 0; i < 20; i++) await producer.send({ topic: TOPIC, body: Buffer.from(`after the join ${i}`) });
    } finally {
      await producer.shutdown();
    }
    await converged();
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test.run();
