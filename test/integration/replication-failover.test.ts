// Reads from replicas with static roles (no promotion; README "Topologies"): a sync master is
// SIGKILLed under the load of several producers and a consumer then reads every acknowledged
// message, intact, from the replica; and a master suggests the replica (suggestWhichBrokerId)
// for data far behind its log end.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'uvu';

import { Producer, PushConsumer } from '../../client/index.js';
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
import { createTopic, pollUntil } from '../support/broker-requests.js';
import { startMaster, startReplica } from '../support/replicated-set.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CYCLES = Number(process.env.CYCLES ?? soakScale(5, 20));
const PRODUCERS = 4;
const TOPIC = 'FailoverTopic';
const READ_TIMEOUT_MS = 30_000;

const digest = (body: Buffer): string => crypto.createHash('sha256').update(body).digest('hex');

/** Sends from several producers until `stop`; returns each acknowledged key with its body's digest. */
async function loadUntil(nameServer: string, random: SeededRandom, stop: Promise<void>): Promise<Map<string, string>> {
  const acked = new Map<string, string>();
  let stopped = false;
  void stop.then(() => (stopped = true));
  const producers = Array.from(
    { length: PRODUCERS },
    (_, i) => new Producer({ nameServer, group: `failover-${i}`, retries: 0 }),
  );
  await Promise.all(producers.map((producer) => producer.start()));
  await Promise.all(
    producers.map(async (producer, p) => {
      for (let i = 0; !stopped; i++) {
        const key = `p${p}-${i}`;
        const body = Buffer.concat([Buffer.from(`${key}:`), random.bytes(random.between(1, 1024))]);
        const sent = await producer.send({ topic: TOPIC, body, keys: [key] }).then(
          () => true,
          () => false,
        );
        if (sent) acked.set(key, digest(body));
        else if (stopped) break;
      }
    }),
  );
  await Promise.all(producers.map((producer) => producer.shutdown().catch(() => undefined)));
  return acked;
}

/** What a new group reads (from the replica: the master is gone) until it has every acknowledged key. */
async function readAll(
  nameServer: string,
  group: string,
  acked: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const read = new Map<string, string>();
  const consumer = new PushConsumer({ nameServer, group, subscriptions: { [TOPIC]: '*' }, consumeFrom: 'first' });
  await consumer.start((message) => {
    read.set(message.keys[0]!, digest(message.body));
  });
  try {
    await pollUntil(`${acked.size} acknowledged messages read from the replica`, READ_TIMEOUT_MS, () =>
      [...acked.keys()].every((key) => read.has(key)) ? true : undefined,
    ).catch((error: unknown) => {
      const missing = [...acked.keys()].filter((key) => !read.has(key));
      throw new Error(`${missing.length} acknowledged message(s) missing, e.g. ${missing.slice(0, 5).join(', ')}`, {
        cause: error,
      });
    });
  } finally {
    await consumer.shutdown().catch(() => undefined);
  }
  return read;
}

test(`replication: SIGKILL of a sync master under several producers loses no acknowledged message, read intact from the replica (${CYCLES} seeded cycles)`, async () => {
  const { seed } = seededRandom('replication failover');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let nameServer: NameServerProcess | undefined;
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
    nameServer = await startNameServerProcess();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const random = seededRandom(`failover cycle ${cycle}`, seed + cycle, false);
      const brokerName = `broker-f${cycle}`;
      const masterDirectory = temporaryDirectory('failover-master');
      const replicaDirectory = temporaryDirectory('failover-replica');
      try {
        const shared = { nameServer: 'none' as const, nameServers: [nameServer.address], brokerName };
        master = await startMaster(masterDirectory.path, shared);
        replica = await startReplica(replicaDirectory.path, [nameServer.address], { brokerName });
        await createTopic(client, master.address, TOPIC, 4);
        const probe = new Producer({ nameServer: nameServer.address, group: 'probe', retries: 0 });
        await probe.start();
        await pollUntil('the replica in sync', READ_TIMEOUT_MS, () =>
          probe.send({ topic: TOPIC, body: Buffer.from('probe'), keys: ['probe'] }).then(
            () => true,
            () => undefined,
          ),
        );
        await probe.shutdown();
        const killAfterMs = random.between(100, 800);
        const killed = new Promise<void>((resolve) => setTimeout(resolve, killAfterMs)).then(async () => {
          await master!.kill();
        });
        const acked = await loadUntil(nameServer.address, random, killed);
        await killed;
        assert.ok(acked.size > 0, `cycle ${cycle}: some sends were acknowledged before the kill`);
        const read = await readAll(nameServer.address, `failover-readers-${cycle}`, acked);
        for (const [key, bodyDigest] of acked) {
          assert.equal(read.get(key), bodyDigest, `cycle ${cycle} (SEED=${seed}): acknowledged ${key} read intact`);
        }
        console.log(`  cycle ${cycle}: kill after ${killAfterMs} ms, ${acked.size} acknowledged, ${read.size} read`);
      } finally {
        await stopAll([replica, master]);
        masterDirectory.remove();
        replicaDirectory.remove();
      }
    }
  } finally {
    client.close();
    await stopAll([nameServer]);
  }
});

test('replication: a master suggests broker 1 for a pull far behind its log end, and the replica serves it', async () => {
  const masterDirectory = temporaryDirectory('suggest-master');
  const replicaDirectory = temporaryDirectory('suggest-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let master: BrokerProcess | undefined;
  let replica: BrokerProcess | undefined;
  try {
    // Any backlog counts as out of memory, so the first pull is already "far behind".
    master = await startMaster(masterDirectory.path, { messageInMemoryBytes: 1 });
    replica = await startReplica(replicaDirectory.path, master.nameServers);
    await createTopic(client, master.address, TOPIC, 1);
    const producer = new Producer({ nameServer: master.nameServerAddress!, group: 'suggest' });
    // Started once: a send refused while the replica is not yet in sync is simply tried again
    // (start() twice throws, which kept this poll failing under load).
    await producer.start();
    await pollUntil('the replica in sync', READ_TIMEOUT_MS, () =>
      producer.send({ topic: TOPIC, body: Buffer.from('first') }).then(
        () => true,
        () => undefined,
      ),
    );
    for (let i = 0; i < 20; i++) await producer.send({ topic: TOPIC, body: Buffer.from(`m${i}`) });
    await producer.shutdown();
    const pull = (address: string) =>
      client.invoke(
        address,
        {
          code: REQUEST_CODE.PULL_MESSAGE,
          extFields: {
            consumerGroup: 'suggest-readers',
            topic: TOPIC,
            queueId: 0,
            queueOffset: 0,
            maxMsgNums: 4,
            sysFlag: 0,
            commitOffset: -1,
            suspendTimeoutMillis: 0,
            subscription: '*',
            subVersion: 0,
          },
        },
        5000,
      );
    const fromMaster = await pull(master.address);
    assert.equal(fromMaster.code, RESPONSE_CODE.SUCCESS);
    assert.equal(Number(fromMaster.extFields?.suggestWhichBrokerId), 1);
    const fromReplica = await pollUntil('the replica has the messages', READ_TIMEOUT_MS, async () => {
      const response = await pull(replica!.address);
      return response.code === RESPONSE_CODE.SUCCESS ? response : undefined;
    });
    const bytes = (body: typeof fromMaster.body): Buffer => Buffer.concat(Array.isArray(body) ? body : [body!]);
    assert.ok(bytes(fromReplica.body).equals(bytes(fromMaster.body)), 'the replica serves the same record bytes');
    assert.equal(Number(fromReplica.extFields?.suggestWhichBrokerId), 0);
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test.run();
