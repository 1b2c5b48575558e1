// The wire encoder of one message record (protocol/message-encoder.ts, used for
// transaction check-back bodies) against the store's golden record: the fixture decoded by the
// client decoder and encoded again is the same bytes, CRC included; changed fields decode back.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { decodeMessages } from '../../protocol/message-decoder.js';
import { MessageEncodeError, encodeMessage, type MessageRecord } from '../../protocol/message-encoder.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/commit-log-record/all-fields.v1.bin', import.meta.url));

/** The fields of the golden record, as test/unit/golden-bytes.test.ts writes it with the store. */
const GOLDEN: MessageRecord = {
  topic: 'GoldenTopic',
  queueId: 7,
  queueOffset: 0x1122_3344_5566,
  commitLogOffset: 0x2_4000_0100,
  flag: 0x0a0b0c0d,
  sysFlag: 9,
  bornTimestamp: 1_700_000_000_123,
  bornHost: '192.168.1.2:45678',
  storeTimestamp: 1_700_000_000_456,
  storeHost: '10.0.0.1:10911',
  reconsumeTimes: 3,
  preparedTransactionOffset: 0xab_cdef_0123,
  body: Buffer.concat([Buffer.from('golden body'), Buffer.from([0x00, 0xff])]),
  properties: { TAGS: 'paid', KEYS: 'o-17 o-18', note: 'café', UNIQ_KEY: '0A00000130390000000000000000002A' },
};

test("message-encoder: the golden record encodes to the store fixture's bytes, CRC-32C included (v1)", () => {
  assert.deepEqual(encodeMessage(GOLDEN), fs.readFileSync(FIXTURE));
});

test('message-encoder: a record with topic, queue and properties changed decodes to the changes', () => {
  // Not compressed, so the decoder hands the body back as encoded.
  const original = { ...GOLDEN, sysFlag: 8 };
  const changed = {
    ...original,
    topic: 'RealTopic',
    queueId: 3,
    properties: { ...original.properties, TRANSACTION_CHECK_TIMES: '2', note: 'naïve' },
  };
  const [decoded] = decodeMessages(encodeMessage(changed));
  assert.equal(decoded?.topic, 'RealTopic');
  assert.equal(decoded?.queueId, 3);
  assert.equal(decoded?.properties.TRANSACTION_CHECK_TIMES, '2');
  assert.equal(decoded?.properties.note, 'naïve');
  assert.deepEqual(decoded?.body, original.body);
  assert.equal(decoded?.commitLogOffset, original.commitLogOffset);
  assert.equal(decoded?.bornHost, original.bornHost);
});

test('message-decoder: records of several topics in one body each keep their own topic (a shared string only when the bytes match)', () => {
  // Same lengths differing in the first, a middle or the last byte, shorter and longer, and a
  // length that is not a multiple of the four bytes compared at once.
  const topics = [
    'OrdersA',
    'OrdersA',
    'OrdersB',
    'XrdersB',
    'OrdXrsB',
    'Orders',
    'OrdersAB',
    'OrdersAB',
    'T',
    'T',
    'U',
  ];
  const plain = { ...GOLDEN, sysFlag: 8 };
  const body = Buffer.concat(topics.map((topic, queueOffset) => encodeMessage({ ...plain, topic, queueOffset })));
  const decoded = decodeMessages(body);
  assert.deepEqual(
    decoded.map((message) => message.topic),
    topics,
  );
  assert.deepEqual(
    decoded.map((message) => message.queueOffset),
    topics.map((_, i) => i),
  );
});

test('message-encoder: unencodable hosts and oversized topics are refused', () => {
  const original = GOLDEN;
  for (const bornHost of ['[::1]:80', '300.1.1.1:80', 'host:80']) {
    assert.throws(() => encodeMessage({ ...original, bornHost }), MessageEncodeError, bornHost);
  }
  assert.throws(() => encodeMessage({ ...original, topic: 'T'.repeat(256) }), MessageEncodeError);
});

test.run();
