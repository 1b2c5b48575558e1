// The pull-body decoder record by record (decodeRecords): a record that does not decode (a
// compressed body that does not inflate or inflates past the consumer's limit, inner lengths
// that do not add up) is named by its fixed fields and does not spoil its neighbours; a broken
// frame keeps what came before it, and the pull loop then pulls the broken record alone and
// passes over it (a broker never sends one, so that loop runs here against scripted pull
// responses). And the producer refuses to compress a body past what a consumer inflates.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { test } from 'uvu';

import type { ClientInstance } from '../../client/client-instance.js';
import { ClientError, Producer, UndecodableMessageError } from '../../client/index.js';
import type { OffsetStore } from '../../client/consumer/offset-store.js';
import { ProcessQueue } from '../../client/consumer/process-queue.js';
import { QueuePuller } from '../../client/consumer/queue-puller.js';
import {
  INFLATED_BODY_BYTES_MAX,
  decodeRecords,
  isUndecodable,
  type ReceivedMessage,
  type UndecodableRecord,
} from '../../protocol/message-decoder.js';
import { encodeMessage, type MessageRecord } from '../../protocol/message-encoder.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';

const COMPRESSED = 1;

function record(queueOffset: number, body: Buffer, sysFlag = 0): MessageRecord {
  return {
    topic: 'PoisonTopic',
    queueId: 2,
    queueOffset,
    commitLogOffset: 1000 + queueOffset * 200,
    flag: 0,
    sysFlag,
    bornTimestamp: 1_700_000_000_000,
    bornHost: '127.0.0.1:5000',
    storeTimestamp: 1_700_000_000_001,
    storeHost: '127.0.0.1:10911',
    reconsumeTimes: 0,
    preparedTransactionOffset: 0,
    body,
    properties: { UNIQ_KEY: `ID${queueOffset}` },
  };
}

function undecodable(entry: ReceivedMessage | UndecodableRecord): UndecodableRecord {
  assert.ok(isUndecodable(entry), 'undecodable');
  return entry;
}

test('poison record: a compressed body that does not inflate is named, and its neighbours still decode', () => {
  const bytes = Buffer.concat([
    encodeMessage(record(10, Buffer.from('before'))),
    encodeMessage(record(11, Buffer.from('not zlib at all'), COMPRESSED)),
    encodeMessage(record(12, zlib.deflateSync(Buffer.from('after')), COMPRESSED)),
  ]);
  const { records, broken } = decodeRecords(bytes);
  assert.equal(broken, undefined);
  assert.equal(records.length, 3);
  assert.equal((records[0] as ReceivedMessage).body.toString(), 'before');
  assert.equal((records[2] as ReceivedMessage).body.toString(), 'after');
  const poison = undecodable(records[1]!);
  assert.equal(poison.topic, 'PoisonTopic');
  assert.equal(poison.queueId, 2);
  assert.equal(poison.queueOffset, 11);
  assert.equal(poison.commitLogOffset, 1000 + 11 * 200);
  assert.equal(poison.offsetMsgId, '7F00000100002A9F0000000000000C80', 'store host 127.0.0.1:10911, offset 3200');
  assert.match(poison.error.message, /does not inflate/);
  assert.equal(poison.asStored?.body.toString(), 'not zlib at all', 'listable with its body as stored');
});

test('poison record: a zip bomb past the consumer inflate limit is undecodable, not inflated', () => {
  const bomb = zlib.deflateSync(Buffer.alloc(INFLATED_BODY_BYTES_MAX + 1));
  const { records } = decodeRecords(encodeMessage(record(5, bomb, COMPRESSED)));
  assert.match(undecodable(records[0]!).error.message, new RegExp(`inflates past ${INFLATED_BODY_BYTES_MAX} bytes`));
});

test('poison record: inner lengths that do not add up make one undecodable record, not a failed batch', () => {
  const bad = encodeMessage(record(7, Buffer.from('x')));
  bad.writeInt32BE(bad.length, 84); // the body length now runs past the record
  const bytes = Buffer.concat([bad, encodeMessage(record(8, Buffer.from('fine')))]);
  const { records, broken } = decodeRecords(bytes);
  assert.equal(broken, undefined);
  const poison = undecodable(records[0]!);
  assert.equal(poison.topic, undefined, 'the topic cannot be found');
  assert.equal(poison.asStored, undefined, 'nor the message as stored');
  assert.equal(poison.queueOffset, 7);
  assert.equal((records[1] as ReceivedMessage).body.toString(), 'fine');
});

test('poison record: a broken frame keeps the records before it and says where it broke', () => {
  const good = encodeMessage(record(1, Buffer.from('good')));
  const broken = encodeMessage(record(2, Buffer.from('lost')));
  broken.writeInt32BE(broken.length + 100, 0);
  const decoded = decodeRecords(Buffer.concat([good, broken]));
  assert.equal(decoded.records.length, 1);
  assert.equal((decoded.records[0] as ReceivedMessage).queueOffset, 1);
  assert.match(decoded.broken?.message ?? '', /bad record length/);
});

test('poison record: the pull loop keeps what precedes a broken frame, pulls the broken record alone, then reports and passes over it', async () => {
  const broken = encodeMessage(record(1, Buffer.from('lost')));
  broken.writeInt32BE(broken.length + 100, 0);
  const pulls = [
    { body: Buffer.concat([encodeMessage(record(0, Buffer.from('zero'))), broken]), next: 5 },
    { body: broken, next: 2 },
    { body: encodeMessage(record(2, Buffer.from('two'))), next: 3 },
  ];
  const asked: { queueOffset: number; maxMsgNums: number }[] = [];
  const client = {
    brokerAddress: () => '127.0.0.1:1',
    brokerReadAddress: () => '127.0.0.1:1',
    invoke: async (_address: string, request: { extFields: Record<string, number> }): Promise<RemotingCommand> => {
      asked.push({ queueOffset: request.extFields.queueOffset!, maxMsgNums: request.extFields.maxMsgNums! });
      const pull = pulls.shift()!;
      return { code: RESPONSE_CODE.SUCCESS, extFields: { nextBeginOffset: pull.next }, body: pull.body } as never;
    },
  } as unknown as ClientInstance;
  const offsets = { local: () => undefined, update: () => undefined } as unknown as OffsetStore;
  const pq = new ProcessQueue({ topic: 'PoisonTopic', brokerName: 'b', queueId: 2 }, 0);
  const delivered: string[] = [];
  const skipped: UndecodableMessageError[] = [];
  const settings = { group: 'g', batchSize: 32, prefetchCount: 1000, prefetchBytes: 1 << 24, expression: '*' };
  const puller = new QueuePuller(
    client,
    offsets,
    pq,
    { ...settings, accepts: () => true },
    (_pq, messages) => delivered.push(...messages.map((m) => m.body.toString())),
    () => pulls.length > 0,
    {
      undecodable: () => assert.fail('no sound record is undecodable here'),
      skipped: (e) => skipped.push(e),
      failed: (e) => assert.fail(`no bug here: ${String(e)}`),
    },
  );
  await puller.run();
  assert.deepEqual(delivered, ['zero', 'two']);
  assert.deepEqual(asked, [
    { queueOffset: 0, maxMsgNums: 32 },
    { queueOffset: 1, maxMsgNums: 1 },
    { queueOffset: 2, maxMsgNums: 32 },
  ]);
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0]!.code, 'MESSAGE_UNDECODABLE');
  assert.equal(skipped[0]!.queueOffset, 1);
  assert.equal(skipped[0]!.msgId, undefined, 'nothing names it');
  assert.equal(pq.nextPullOffset, 3);
});

test('producer refuses to compress a body larger than a consumer inflates', async () => {
  const producer = new Producer({
    group: 'over-limit',
    nameServer: '127.0.0.1:1',
    maxMessageBytes: 2 * INFLATED_BODY_BYTES_MAX,
    compressOverBytes: 1024,
  });
  await producer.start();
  try {
    await assert.rejects(
      producer.send({ topic: 'Big', body: Buffer.alloc(INFLATED_BODY_BYTES_MAX + 1) }),
      (error: unknown) =>
        error instanceof ClientError &&
        error.code === 'INVALID_ARGUMENT' &&
        /would be compressed, but a consumer inflates at most/.test(error.message),
    );
  } finally {
    await producer.shutdown();
  }
});

test.run();
