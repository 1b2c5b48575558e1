// The client decodes a pulled record's costly fields (properties, tags, keys, msgId, the hosts,
// the offset id) only when they are first read, and shares one topic string among a pull's
// records (protocol/message-decoder.ts). This checks, on what a real broker answers, that every
// field so decoded equals an eager decoding of the same record written independently here (the
// store's own record reader, then every field derived from it at once), whatever order the
// fields are read in: plain, tagged and keyed messages, properties with unusual characters, a
// compressed body, a batch, a committed transactional message, a delayed one and one with a
// deliverAt time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import zlib from 'node:zlib';

import { Producer, TransactionProducer, type ReceivedMessage } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { PULL_MESSAGE_FIELD as F, PULL_SYS_FLAG } from '../../protocol/header-fields.js';
import { decodeRecords, isUndecodable, receivedMessageFields } from '../../protocol/message-decoder.js';
import { decodeMessageProperties, PROPERTY } from '../../protocol/message-properties-codec.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { bodyOf } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { RECORD_LAYOUT, readRecord } from '../../storage/message-record.js';
import { maxQueueOffset, pollUntil } from '../support/broker-requests.js';
import { startMessaging } from '../support/messaging-fixture.js';

const TOPIC = 'Decoding';
const COMPRESS_OVER_BYTES = 1024;
const ARRIVAL_TIMEOUT_MS = 15_000;
const PULL_TIMEOUT_MS = 5000;
const UNUSUAL_PROPERTIES = { 'clé ünïcode': 'välue ✓ 𝄞', empty: '', 'with spaces': 'a b  c', 'x=y': 'p:q;r' };

/** Every message the test sends, each different in some way that touches decoding. */
async function sendEveryKind(nameServer: string): Promise<number> {
  const producer = new Producer({ nameServer, group: 'decoding-producer', compressOverBytes: COMPRESS_OVER_BYTES });
  const transactions = new TransactionProducer({ nameServer, group: 'decoding-tx', check: () => 'commit' });
  await producer.start();
  await transactions.start();
  try {
    await producer.send({ topic: TOPIC, body: 'plain' });
    await producer.send({ topic: TOPIC, body: 'tagged', tags: 'TagA', keys: ['k1', 'k2', 'order-3'] });
    await producer.send({ topic: TOPIC, body: 'one key', keys: 'solo', flag: 7 });
    await producer.send({ topic: TOPIC, body: Buffer.from('ünïcode body ✓'), properties: UNUSUAL_PROPERTIES });
    await producer.send({ topic: TOPIC, body: 'abcdefgh'.repeat(1024), tags: 'Big' });
    await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send({ topic: TOPIC, body: `batched-${i}` })));
    await transactions.sendInTransaction({ topic: TOPIC, body: 'committed', tags: 'Tx' }, () => 'commit');
    await producer.send({ topic: TOPIC, body: 'delayed', delayLevel: 1, keys: 'later' });
    await producer.send({ topic: TOPIC, body: 'due now', deliverAt: Date.now() - 1000 });
  } finally {
    await producer.shutdown();
    await transactions.shutdown();
  }
  return 13;
}

/** PULL_MESSAGE's answer body for queue 0 from offset 0: the records as the broker sends them. */
async function pullBody(client: RemotingClient, broker: string): Promise<Buffer> {
  const response = await client.invoke(
    broker,
    {
      code: REQUEST_CODE.PULL_MESSAGE,
      extFields: {
        [F.consumerGroup]: 'decoding-reader',
        [F.topic]: TOPIC,
        [F.queueId]: 0,
        [F.queueOffset]: 0,
        [F.maxMsgNums]: 64,
        [F.sysFlag]: PULL_SYS_FLAG.subscription,
        [F.commitOffset]: -1,
        [F.suspendTimeoutMillis]: 0,
        [F.subscription]: '*',
        [F.subVersion]: 0,
      },
    },
    PULL_TIMEOUT_MS,
  );
  assert.is(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  return bodyOf(response);
}

/** Every field of each record, decoded at once from the store's reader (no lazy step anywhere). */
function eagerMessages(bytes: Buffer): ReceivedMessage[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const messages: ReceivedMessage[] = [];
  for (let at = 0; at < bytes.length; at += view.getInt32(at)) {
    const record = readRecord(bytes, view, at);
    const properties = decodeMessageProperties(record.properties);
    const compressed = (record.sysFlag & MESSAGE_SYS_FLAG.compressed) !== 0;
    const host = ({ ip, port }: { ip: number; port: number }): string =>
      `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}:${port}`;
    const hex = (from: number): string => bytes.toString('hex', from, from + 8).toUpperCase();
    const offsetMsgId = hex(at + RECORD_LAYOUT.storeHost) + hex(at + RECORD_LAYOUT.physicalOffset);
    const keys = properties[PROPERTY.keys];
    messages.push({
      topic: record.topic,
      queueId: record.queueId,
      queueOffset: Number(record.queueOffset),
      commitLogOffset: Number(record.physicalOffset),
      flag: record.flag,
      sysFlag: record.sysFlag,
      bornTimestamp: Number(record.bornTimestamp),
      bornHost: host(record.bornHost),
      storeTimestamp: Number(record.storeTimestamp),
      storeHost: host(record.storeHost),
      reconsumeTimes: record.reconsumeTimes,
      preparedTransactionOffset: Number(record.preparedTransactionOffset),
      bodyCrc: record.checksum,
      body: compressed ? zlib.inflateSync(record.body) : Buffer.from(record.body),
      properties,
      msgId: properties[PROPERTY.uniqueKey] ?? offsetMsgId,
      offsetMsgId,
      tags: properties[PROPERTY.tags],
      keys: keys === undefined || keys === '' ? [] : keys.split(' '),
    });
  }
  return messages;
}

/** The client's decoding of `bytes`, each message's fields read in `order` first. */
function lazyMessages(bytes: Buffer, order: readonly (keyof ReceivedMessage)[]): ReceivedMessage[] {
  return decodeRecords(bytes).records.map((record) => {
    assert.not.ok(isUndecodable(record), 'every record decodes');
    const message = record as ReceivedMessage;
    for (const field of order) void message[field];
    return receivedMessageFields(message);
  });
}

test('received messages: fields decoded on first read equal an eager decoding of the broker output', async () => {
  const fixture = await startMessaging('received-message-decoding', { topics: { [TOPIC]: 1 } });
  const client = new RemotingClient();
  try {
    const sent = await sendEveryKind(fixture.nameServer);
    const broker = fixture.broker.address;
    await pollUntil('every message stored', ARRIVAL_TIMEOUT_MS, async () =>
      (await maxQueueOffset(client, broker, TOPIC, 0)) >= sent ? true : undefined,
    );
    const bytes = await pullBody(client, broker);
    const eager = eagerMessages(bytes);
    assert.is(eager.length, sent);
    const fields = Object.keys(eager[0]!) as (keyof ReceivedMessage)[];
    const lazyForward = lazyMessages(bytes, fields);
    const lazyBackward = lazyMessages(bytes, [...fields].reverse());
    for (let i = 0; i < eager.length; i++) {
      for (const field of fields) {
        assert.equal(lazyForward[i]![field], eager[i]![field], `message ${i}: ${field} (read in layout order)`);
        assert.equal(lazyBackward[i]![field], eager[i]![field], `message ${i}: ${field} (read in reverse)`);
      }
    }
    // The cases the test means to cover did reach the broker as such.
    const bodies = eager.map((message) => message.body.toString('utf8'));
    assert.ok(
      eager.some((message) => (message.sysFlag & MESSAGE_SYS_FLAG.compressed) !== 0),
      'a compressed body',
    );
    assert.ok(
      eager.some((message) => message.keys.length === 3 && message.tags === 'TagA'),
      'tags and keys',
    );
    assert.ok(
      eager.some((message) => message.properties['clé ünïcode'] === 'välue ✓ 𝄞'),
      'unusual properties',
    );
    for (const body of ['committed', 'delayed', 'due now', 'batched-4']) assert.ok(bodies.includes(body), body);
  } finally {
    client.close();
    await fixture.close();
  }
});

test.run();
