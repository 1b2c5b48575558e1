// A record no consumer can decode (the compressed SYSFLAG on a body that does not inflate) must
// neither get in nor, if it got in anyway, stall its queue:
// - the broker refuses such a send (MESSAGE_ILLEGAL), and one that inflates past its message
//   limit, and stores nothing, while a sound compressed body is stored;
// - a poison record written straight into the store before the broker starts (the way an
//   older broker or a raw writer could have left it) is reported through the consumer's error
//   event with its id, the 10 messages after it all arrive, and it goes through %RETRY%<group>
//   to %DLQ%<group>, where Admin lists it as stored; an orderly consumer dead-letters it at once;
// - compressed messages sent at once are not coalesced into a batch (whose single SYSFLAG
//   would drop the compressed bit) and arrive intact.
import assert from 'node:assert/strict';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'uvu';

import { Admin, Producer, PushConsumer, UndecodableMessageError, type ReceivedMessage } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { MessageStore } from '../../storage/index.js';
import { TEST_STORE_OPTIONS, startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { maxQueueOffset, pollUntil, queryConsumerOffset } from '../support/broker-requests.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { RawConnection } from '../support/raw-connection.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const STEP_TIMEOUT_MS = 20_000;
const POISON_TOPIC = 'PoisonQueue';
const ORDERLY_POISON_TOPIC = 'PoisonOrderly';
const POISON_BODY = 'this is not a zlib stream';
const RAW_TOPIC = 'RawCompressed';
const BATCH_TOPIC = 'CompressedBurst';
const LATER_MESSAGES = 10;
/** The store host the test writes the poison record with (the broker's own is another port). */
const WRITER_STORE_HOST = '127.0.0.1:10911';
/** WRITER_STORE_HOST as an offset id's first 16 hex digits: IPv4 then port, 4 bytes each. */
const WRITER_STORE_HOST_HEX = '7F00000100002A9F';
/** The broker's default message limit (4 MiB). */
const BROKER_MESSAGE_BYTES_MAX = 4 * 1024 * 1024;

const directory = temporaryDirectory('poison');
let broker: BrokerProcess;
let admin: Admin;
let probe: RemotingClient;
let poisonCommitLogOffset: number;
let orderlyPoisonCommitLogOffset: number;

test.before(async () => {
  // The poison goes in through the store itself, before any broker runs on the directory.
  const store = await MessageStore.open(path.join(directory.path, 'store'), {
    ...TEST_STORE_OPTIONS,
    storeHost: WRITER_STORE_HOST,
  });
  try {
    const poison = (topic: string): Promise<{ commitLogOffset: number }> =>
      store.append({ topic, queueId: 0, body: Buffer.from(POISON_BODY), sysFlag: 1 });
    poisonCommitLogOffset = (await poison(POISON_TOPIC)).commitLogOffset;
    orderlyPoisonCommitLogOffset = (await poison(ORDERLY_POISON_TOPIC)).commitLogOffset;
  } finally {
    await store.close();
  }
  broker = await startBrokerProcess({ dataDirectory: directory.path, label: 'poison' });
  admin = new Admin({ nameServer: broker.nameServerAddress! });
  probe = new RemotingClient();
  for (const topic of [POISON_TOPIC, ORDERLY_POISON_TOPIC, RAW_TOPIC, BATCH_TOPIC])
    await admin.createTopic(topic, { queues: 1 });
  for (const topic of [POISON_TOPIC, ORDERLY_POISON_TOPIC, RAW_TOPIC, BATCH_TOPIC])
    await pollUntil(
      `route of ${topic}`,
      STEP_TIMEOUT_MS,
      async () => (await admin.listTopics()).includes(topic) || undefined,
    );
});

test.after(async () => {
  probe?.close();
  await admin?.close();
  await broker?.stop();
  directory.remove();
});

function rawSend(connection: RawConnection, body: Buffer): ReturnType<RawConnection['request']> {
  return connection.request({
    code: REQUEST_CODE.SEND_MESSAGE,
    extFields: {
      producerGroup: 'raw-producer',
      topic: RAW_TOPIC,
      defaultTopic: 'TBW102',
      defaultTopicQueueNums: '4',
      queueId: '0',
      sysFlag: '1',
      bornTimestamp: String(Date.now()),
      flag: '0',
      properties: '',
      reconsumeTimes: '0',
    },
    body,
  });
}

test('a raw send of a compressed-flag record whose body does not inflate, or inflates past the limit, is refused', async () => {
  const connection = await RawConnection.open(broker.address);
  try {
    const garbage = await rawSend(connection, Buffer.from('garbage, not deflate'));
    assert.equal(garbage.code, RESPONSE_CODE.MESSAGE_ILLEGAL, garbage.remark ?? '');
    assert.match(garbage.remark ?? '', /compressed flag but does not inflate/);
    const bomb = await rawSend(connection, zlib.deflateSync(Buffer.alloc(BROKER_MESSAGE_BYTES_MAX + 1)));
    assert.equal(bomb.code, RESPONSE_CODE.MESSAGE_ILLEGAL, bomb.remark ?? '');
    assert.match(bomb.remark ?? '', /inflates past the broker's message limit of 4194304 bytes/);
    assert.equal(await maxQueueOffset(probe, broker.address, RAW_TOPIC, 0), 0, 'nothing stored');
    const sound = await rawSend(connection, zlib.deflateSync(Buffer.from('a sound compressed body')));
    assert.equal(sound.code, RESPONSE_CODE.SUCCESS, sound.remark ?? '');
    assert.equal(await maxQueueOffset(probe, broker.address, RAW_TOPIC, 0), 1);
  } finally {
    connection.destroy();
  }
});

test('an undecodable record in the log does not stall its queue: reported with its id, the 10 after it arrive, it ends in %DLQ%', async () => {
  const group = 'poison-group';
  const errors: unknown[] = [];
  const producer = new Producer({ group: 'poison-producer', nameServer: broker.nameServerAddress! });
  let consumer: PushConsumer | undefined;
  try {
    await producer.start();
    for (let i = 0; i < LATER_MESSAGES; i++) await producer.send({ topic: POISON_TOPIC, body: `later-${i}` });
    consumer = new PushConsumer({
      group,
      nameServer: broker.nameServerAddress!,
      subscriptions: { [POISON_TOPIC]: '*' },
      consumeFrom: 'first',
      maxReconsumeTimes: 1,
    });
    consumer.onError((error) => errors.push(error));
    const received: ReceivedMessage[] = [];
    await consumer.start((message) => void received.push(message));
    await waitFor('the 10 later messages', STEP_TIMEOUT_MS, () => received.length >= LATER_MESSAGES);
    assert.deepEqual(
      received.map((m) => m.body.toString()).sort(),
      Array.from({ length: LATER_MESSAGES }, (_, i) => `later-${i}`).sort(),
    );
    await pollUntil('the poison in %DLQ%', STEP_TIMEOUT_MS, async () =>
      (await maxQueueOffset(probe, broker.address, `%DLQ%${group}`, 0)) >= 1 ? true : undefined,
    );
    assert.equal(await maxQueueOffset(probe, broker.address, `%RETRY%${group}`, 0), 1, 'retried once first');
    const [dead, ...more] = await admin.dlqMessages(group);
    assert.equal(more.length, 0);
    assert.equal(dead!.originTopic, POISON_TOPIC);
    assert.equal(dead!.message.sysFlag & 1, 1, 'listed as stored, compressed bit and all');
    assert.equal(dead!.message.body.toString(), POISON_BODY);
    const undecodable = errors.filter((e): e is UndecodableMessageError => e instanceof UndecodableMessageError);
    const first = undecodable[0];
    assert.ok(first !== undefined, `an error event: ${errors.map(String).join('; ')}`);
    assert.equal(first.code, 'MESSAGE_UNDECODABLE');
    assert.equal(
      first.msgId,
      WRITER_STORE_HOST_HEX + poisonCommitLogOffset.toString(16).toUpperCase().padStart(16, '0'),
    );
    assert.equal(first.commitLogOffset, poisonCommitLogOffset);
    assert.equal(first.queue.topic, POISON_TOPIC);
    assert.equal(first.queueOffset, 0);
    assert.match(first.message, /does not inflate/);
    assert.ok(
      undecodable.some((e) => e.queue.topic === `%RETRY%${group}`),
      'the retried copy is reported too before it goes to the DLQ',
    );
    await consumer.shutdown();
    assert.equal(
      await queryConsumerOffset(probe, broker.address, group, POISON_TOPIC, 0),
      LATER_MESSAGES + 1,
      'the committed offset is past the poison and the 10',
    );
  } finally {
    await consumer?.shutdown();
    await producer.shutdown();
  }
});

test('an undecodable record does not stall an orderly queue either: reported, the 10 after it arrive in order, it goes to %DLQ%', async () => {
  const group = 'poison-orderly-group';
  const errors: unknown[] = [];
  const producer = new Producer({ group: 'poison-orderly-producer', nameServer: broker.nameServerAddress! });
  const consumer = new PushConsumer({
    group,
    nameServer: broker.nameServerAddress!,
    subscriptions: { [ORDERLY_POISON_TOPIC]: '*' },
    consumeFrom: 'first',
    orderly: true,
  });
  consumer.onError((error) => errors.push(error));
  const received: string[] = [];
  try {
    await producer.start();
    for (let i = 0; i < LATER_MESSAGES; i++) await producer.send({ topic: ORDERLY_POISON_TOPIC, body: `later-${i}` });
    await consumer.start((message) => void received.push(message.body.toString()));
    await waitFor('the 10 later messages', STEP_TIMEOUT_MS, () => received.length >= LATER_MESSAGES);
    assert.deepEqual(
      received,
      Array.from({ length: LATER_MESSAGES }, (_, i) => `later-${i}`),
      'in order',
    );
    await pollUntil('the poison in %DLQ%', STEP_TIMEOUT_MS, async () =>
      (await maxQueueOffset(probe, broker.address, `%DLQ%${group}`, 0)) >= 1 ? true : undefined,
    );
    const reported = errors.find((e): e is UndecodableMessageError => e instanceof UndecodableMessageError);
    assert.equal(reported?.commitLogOffset, orderlyPoisonCommitLogOffset);
    assert.equal(reported?.queue.topic, ORDERLY_POISON_TOPIC);
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test('compressed messages sent at once are each sent alone and arrive intact, not as compressed bytes in a batch', async () => {
  const producer = new Producer({
    group: 'burst-producer',
    nameServer: broker.nameServerAddress!,
    compressOverBytes: 64,
  });
  const bodies = Array.from({ length: 8 }, (_, i) => `compressible ${i} `.repeat(50));
  const { consumer, received } = await recordingConsumer({
    group: 'burst-group',
    nameServer: broker.nameServerAddress!,
    subscriptions: { [BATCH_TOPIC]: '*' },
    consumeFrom: 'first',
  });
  try {
    await producer.start();
    await Promise.all(bodies.map((body) => producer.send({ topic: BATCH_TOPIC, body })));
    await waitFor('every compressed message', STEP_TIMEOUT_MS, () => received.length >= bodies.length);
    assert.deepEqual(received.map((m) => m.body.toString()).sort(), [...bodies].sort());
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test.run();
