// Golden bytes for the wire formats of client/remoting: the frame, the three header encodings,
// the batch body, and the pull body decoder agreeing byte for byte with the store's record
// codec. Fixtures in test/fixtures/ were built byte by byte from the layout tables, not by
// these codecs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { decodeBatch, encodeBatch, BatchDecodeError } from '../../protocol/batch-message-codec.js';
import { HeaderCodec } from '../../protocol/header-codec.js';
import { decodeJsonHeader } from '../../protocol/json-header-codec.js';
import { decodeMessages } from '../../protocol/message-decoder.js';
import { decodeMsgpackHeader, encodeMsgpackHeader } from '../../protocol/msgpack-header-codec.js';
import { SERIALIZE_TYPE, type RemotingCommand } from '../../protocol/remoting-command.js';
import { RemotingError } from '../../protocol/remoting-error.js';
import { FrameDecoder, encodeFrame, type RawFrame } from '../../protocol/remoting-frame.js';
import { decodeRocketmqHeader, encodeRocketmqHeader } from '../../protocol/rocketmq-header-codec.js';
import { readRecord } from '../../storage/message-record.js';
import { OffsetMessageId } from '../../protocol/offset-message-id.js';
import {
  decodeMessageProperties,
  encodeMessageProperties,
  isCanonicalProperties,
} from '../../protocol/message-properties-codec.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const fixture = (format: string, name: string): Buffer =>
  fs.readFileSync(path.join(FIXTURES, format, `${name}.v1.bin`));

const JSON_REQUEST: RemotingCommand = {
  code: 310,
  language: 'JAVA',
  version: 401,
  opaque: 7,
  flag: 0,
  extFields: { b: 'orders', e: 3 },
  body: Buffer.from('hello'),
};

function decodeAll(bytes: Buffer, chunkSize: number): RawFrame[] {
  const decoder = new FrameDecoder();
  const frames: RawFrame[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize)
    decoder.push(bytes.subarray(at, at + chunkSize), (f) => frames.push(f));
  return frames;
}

function expectRemotingError(code: string, run: () => unknown): void {
  assert.throws(run, (error: unknown) => error instanceof RemotingError && error.code === code);
}

test('remoting-frame: a JSON request encodes to the golden frame', () => {
  const frame = Buffer.concat(HeaderCodec.frame(JSON_REQUEST, SERIALIZE_TYPE.json));
  assert.deepEqual(frame, fixture('remoting-frame', 'json-request'));
});

test('remoting-frame: the golden frame decodes the same whether it arrives whole or a byte at a time', () => {
  const bytes = fixture('remoting-frame', 'json-request');
  for (const chunk of [bytes.length, 7, 1]) {
    const frames = decodeAll(Buffer.concat([bytes, bytes]), chunk);
    assert.equal(frames.length, 2);
    const command = HeaderCodec.decode(frames[1]!);
    assert.equal(command.code, 310);
    assert.equal(command.opaque, 7);
    assert.deepEqual({ ...command.extFields }, { b: 'orders', e: 3 });
    assert.equal((command.body as Buffer).toString(), 'hello');
  }
});

test('remoting-frame: lengths over 16 MiB, negative, below 4, or a header past the end are refused', () => {
  const header = (length: number, spec: number): Buffer => {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32BE(length >>> 0, 0);
    bytes.writeUInt32BE(spec >>> 0, 4);
    return bytes;
  };
  expectRemotingError('FRAME_TOO_LARGE', () => decodeAll(header(16 * 1024 * 1024 + 1, 0), 8));
  expectRemotingError('FRAME_TOO_LARGE', () => decodeAll(header(-1, 0), 8));
  expectRemotingError('MALFORMED_FRAME', () => decodeAll(header(3, 0), 8));
  expectRemotingError('MALFORMED_FRAME', () => decodeAll(Buffer.concat([header(8, 5), Buffer.alloc(4)]), 12));
  expectRemotingError('FRAME_TOO_LARGE', () => encodeFrame(0, Buffer.alloc(10), Buffer.alloc(16 * 1024 * 1024)));
});

test('json-header: malformed JSON, a missing code or a nested extFields value is refused', () => {
  expectRemotingError('MALFORMED_HEADER', () => decodeJsonHeader(Buffer.from('{"code":')));
  expectRemotingError('MALFORMED_HEADER', () => decodeJsonHeader(Buffer.from('{"opaque":1}')));
  expectRemotingError('MALFORMED_HEADER', () => decodeJsonHeader(Buffer.from('[1,2]')));
  expectRemotingError('MALFORMED_HEADER', () =>
    decodeJsonHeader(Buffer.from('{"code":1,"opaque":1,"extFields":{"a":{}}}')),
  );
  const fields = decodeJsonHeader(
    Buffer.from('{"code":1,"opaque":2,"extFields":{"n":4,"b":false,"s":"x","z":null}}'),
  ).extFields;
  assert.deepEqual({ ...fields }, { n: 4, b: false, s: 'x' });
});

test('json-header: a __proto__ field stays a plain field and pollutes nothing', () => {
  const fields = decodeJsonHeader(Buffer.from('{"code":1,"opaque":1,"extFields":{"__proto__":"x"}}')).extFields!;
  assert.equal(Object.getPrototypeOf(fields), null);
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('rocketmq-header: a response encodes to the golden binary header and decodes back', () => {
  const command: RemotingCommand = {
    code: 105,
    language: 'JAVA',
    version: 401,
    opaque: 9,
    flag: 1,
    remark: 'ok',
    extFields: { topic: 'T' },
  };
  const golden = fixture('rocketmq-header', 'response');
  assert.deepEqual(encodeRocketmqHeader(command), golden);
  const decoded = decodeRocketmqHeader(golden);
  assert.deepEqual({ ...decoded, extFields: { ...decoded.extFields } }, command);
  expectRemotingError('MALFORMED_HEADER', () => decodeRocketmqHeader(golden.subarray(0, golden.length - 1)));
});

test('msgpack-header: a pull request header encodes to the golden bytes and decodes back', () => {
  const command: RemotingCommand = {
    code: 11,
    language: 'NODE_JS',
    version: 401,
    opaque: 42,
    flag: 0,
    extFields: { topic: 'orders', queueId: 3 },
  };
  const golden = fixture('msgpack-header', 'pull-request');
  assert.deepEqual(encodeMsgpackHeader(command), golden);
  const decoded = decodeMsgpackHeader(golden);
  assert.deepEqual(
    { ...decoded, extFields: { ...decoded.extFields }, remark: decoded.remark },
    { ...command, remark: undefined },
  );
  expectRemotingError('MALFORMED_HEADER', () => decodeMsgpackHeader(Buffer.from([0x91, 0x01])));
});

test('batch-message: two entries encode to the golden body, decode back, and truncation is refused', () => {
  const entries = [
    { flag: 1, body: Buffer.from('first'), properties: 'TAGS\u0001a\u0002' },
    { flag: 0, body: Buffer.alloc(0), properties: 'UNIQ_KEY\u0001ID2\u0002' },
  ];
  const golden = fixture('batch-message', 'two-entries');
  assert.deepEqual(encodeBatch(entries), golden);
  assert.deepEqual(
    decodeBatch(golden).map((e) => ({ ...e, body: Buffer.from(e.body) })),
    entries,
  );
  assert.throws(() => decodeBatch(golden.subarray(0, golden.length - 2)), BatchDecodeError);
});

test("message-decoder: the client decodes the store's golden record to the same fields", () => {
  // The golden record sets every SYSFLAG bit it can, the compression bit included; clear that
  // one so the client does not try to inflate a body that was never compressed.
  const bytes = Buffer.from(fixture('commit-log-record', 'all-fields'));
  bytes.writeInt32BE(bytes.readInt32BE(36) & ~1, 36);
  const stored = readRecord(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.length), 0);
  const [received] = decodeMessages(bytes);
  assert.ok(received !== undefined);
  assert.equal(received.topic, stored.topic);
  assert.equal(received.queueId, stored.queueId);
  assert.equal(received.queueOffset, stored.queueOffset);
  assert.equal(received.commitLogOffset, stored.physicalOffset);
  assert.equal(received.flag, stored.flag);
  assert.equal(received.sysFlag, stored.sysFlag);
  assert.equal(received.bornTimestamp, stored.bornTimestamp);
  assert.equal(received.storeTimestamp, stored.storeTimestamp);
  assert.equal(received.reconsumeTimes, stored.reconsumeTimes);
  assert.equal(received.preparedTransactionOffset, stored.preparedTransactionOffset);
  assert.equal(received.bodyCrc, stored.checksum);
  assert.deepEqual(received.body, Buffer.from(stored.body));
  assert.deepEqual({ ...received.properties }, { ...decodeMessageProperties(stored.properties) });
  assert.equal(received.offsetMsgId, OffsetMessageId.encode(stored.storeHost, stored.physicalOffset));
});

test('message-decoder: a truncated or inconsistent record is refused, not half-decoded', () => {
  const bytes = fixture('commit-log-record', 'all-fields');
  assert.throws(() => decodeMessages(bytes.subarray(0, bytes.length - 1)));
  const broken = Buffer.from(bytes);
  broken.writeInt32BE(bytes.length + 10, 0);
  assert.throws(() => decodeMessages(broken));
});

test('message-properties: what encoding writes is canonical (stored as sent); what decoding would change is not', () => {
  const samples: Record<string, string>[] = [
    {},
    { UNIQ_KEY: 'AC11', TAGS: 'paid' },
    { a: '', b: 'x y', KEYS: 'k1 k2' },
  ];
  for (const properties of samples) {
    const encoded = encodeMessageProperties(properties);
    assert.ok(isCanonicalProperties(encoded), JSON.stringify(encoded));
    assert.equal(encodeMessageProperties(decodeMessageProperties(encoded)), encoded);
  }
  // A pair without its name separator, an unclosed pair: decoding and encoding back would
  // change them.
  for (const encoded of ['a\x02', 'a\x01b', 'a\x01b\x02c']) {
    assert.equal(isCanonicalProperties(encoded), false, JSON.stringify(encoded));
    assert.notEqual(encodeMessageProperties(decodeMessageProperties(encoded)), encoded, JSON.stringify(encoded));
  }
  // An empty name, a value holding \x01: the store refuses both.
  for (const encoded of ['\x01v\x02', 'a\x01b\x01c\x02'])
    assert.equal(isCanonicalProperties(encoded), false, JSON.stringify(encoded));
});

test.run();
