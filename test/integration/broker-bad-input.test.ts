// A broker facing broken and hostile input: malformed frames close the offending connection,
// bad requests get their error codes, and through all of it a well-behaved producer and
// consumer keep working without losing a message.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'uvu';

import { Producer, type ReceivedMessage } from '../../client/index.js';
import { HeaderCodec } from '../../protocol/header-codec.js';
import { SERIALIZE_TYPE, type RemotingCommand } from '../../protocol/remoting-command.js';
import { FrameDecoder } from '../../protocol/remoting-frame.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('bad-input', { topics: { steady: 4 } });
});

test.after(async () => {
  await fixture.close();
});

type Outcome = { kind: 'response'; command: RemotingCommand } | { kind: 'closed' };

/** Writes raw bytes to the broker and reports the first response, or that it hung up. */
function exchange(bytes: Buffer, timeoutMs = 5000): Promise<Outcome> {
  const [host, port] = fixture.broker.address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port: Number(port) });
    const decoder = new FrameDecoder();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the broker neither answered nor closed the connection'));
    }, timeoutMs);
    const finish = (outcome: Outcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.on('data', (chunk) =>
      decoder.push(chunk, (frame) => finish({ kind: 'response', command: HeaderCodec.decode(frame) })),
    );
    socket.on('close', () => finish({ kind: 'closed' }));
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

function frameOf(
  command: Partial<RemotingCommand> & { code: number },
  serializeType: number = SERIALIZE_TYPE.json,
): Buffer {
  return Buffer.concat(
    HeaderCodec.frame({ language: 'JAVA', version: 401, opaque: 1, flag: 0, ...command }, serializeType),
  );
}

function rawPrefix(length: number, spec: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32BE(length >>> 0, 0);
  bytes.writeUInt32BE(spec >>> 0, 4);
  return bytes;
}

async function expectClosed(bytes: Buffer): Promise<void> {
  const outcome = await exchange(bytes);
  assert.equal(outcome.kind, 'closed');
}

async function expectCode(bytes: Buffer, code: number): Promise<RemotingCommand> {
  const outcome = await exchange(bytes);
  assert.equal(outcome.kind, 'response');
  const { command } = outcome as { command: RemotingCommand };
  assert.equal(command.code, code, `expected code ${code}, got ${command.code}: ${command.remark}`);
  return command;
}

/** Frames that break the framing itself: the broker closes the connection. */
async function expectFramingErrorsClosed(): Promise<void> {
  await expectClosed(rawPrefix(16 * 1024 * 1024 + 1, 0));
  await expectClosed(rawPrefix(-1, 0));
  await expectClosed(rawPrefix(2, 0));
  await expectClosed(Buffer.concat([rawPrefix(10, 100), Buffer.alloc(6)]));
  await expectClosed(Buffer.concat([rawPrefix(4 + 9, 9), Buffer.from('{"code":1')]));
  await expectClosed(Buffer.concat([rawPrefix(4 + 2, (9 << 24) | 2), Buffer.from('{}')]));
  await expectClosed(Buffer.concat([rawPrefix(4 + 8, 8), Buffer.from('not json')]));
  // A truncated frame followed by a hang-up costs the broker nothing.
  await exchange(Buffer.concat([rawPrefix(1000, 10), Buffer.from('{"code":')]), 500).catch(() => undefined);
}

/** Well-framed sends the broker refuses, each with its code. */
async function expectBadSendsRefused(): Promise<void> {
  await expectCode(
    frameOf({ code: 310, extFields: { a: 'p', b: 'bad topic', e: 0 }, body: Buffer.from('x') }),
    RESPONSE_CODE.MESSAGE_ILLEGAL,
  );
  await expectCode(
    frameOf({ code: 310, extFields: { a: 'p', b: 'missing-topic', e: 0 }, body: Buffer.from('x') }),
    RESPONSE_CODE.TOPIC_NOT_EXIST,
  );
  await expectCode(
    frameOf({ code: 310, extFields: { a: 'p', b: 'steady', e: 0 }, body: Buffer.alloc(4 * 1024 * 1024 + 1) }),
    RESPONSE_CODE.MESSAGE_ILLEGAL,
  );
  await expectCode(
    frameOf({ code: 310, extFields: { a: 'p', b: 'steady', e: 99 }, body: Buffer.from('x') }),
    RESPONSE_CODE.MESSAGE_ILLEGAL,
  );
  await expectCode(
    frameOf({
      code: 310,
      // A nameless property with a value (an empty '' -> '' pair is dropped, as RocketMQ does).
      extFields: { a: 'p', b: 'steady', e: 0, i: 'TAGS\u0001a\u0002\u0001value\u0002' },
      body: Buffer.from('x'),
    }),
    RESPONSE_CODE.MESSAGE_ILLEGAL,
  );
}

/** Other well-framed requests the broker refuses: pulls, heartbeats, offsets, send-backs, unknown codes. */
async function expectBadRequestsRefused(): Promise<void> {
  await expectCode(frameOf({ code: 11, extFields: { topic: 'steady' } }), RESPONSE_CODE.SYSTEM_ERROR);
  await expectCode(
    frameOf({
      code: 11,
      extFields: {
        consumerGroup: 'g',
        topic: 'steady',
        queueId: 0,
        queueOffset: 0,
        subscription: 'x',
        expressionType: 'SQL92',
      },
    }),
    RESPONSE_CODE.SUBSCRIPTION_PARSE_FAILED,
  );
  await expectCode(
    frameOf({ code: 34, body: Buffer.from('{"clientID":"c","consumerDataSet":[{"groupName":"bad group"}]}') }),
    RESPONSE_CODE.SYSTEM_ERROR,
  );
  await expectCode(frameOf({ code: 34, body: Buffer.from('{nope') }), RESPONSE_CODE.SYSTEM_ERROR);
  await expectCode(
    frameOf({ code: 15, extFields: { consumerGroup: 'bad group', topic: 'steady', queueId: 0, commitOffset: 5 } }),
    RESPONSE_CODE.SYSTEM_ERROR,
  );
  // A send-back of an offset where no message starts is refused as not a message of the group.
  await expectCode(frameOf({ code: 36, extFields: { offset: 123456789, group: 'g' } }), RESPONSE_CODE.MESSAGE_ILLEGAL);
  await expectCode(frameOf({ code: 17, extFields: { topic: 'TRIBUTARY_STATE' } }), RESPONSE_CODE.SYSTEM_ERROR);
  await expectCode(
    frameOf({ code: 11, extFields: { consumerGroup: 'g', topic: 'TRIBUTARY_STATE', queueId: 0, queueOffset: 0 } }),
    RESPONSE_CODE.NO_PERMISSION,
  );
  // An unknown request code, over JSON and over msgpack headers.
  await expectCode(frameOf({ code: 99_999 }), RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED);
  await expectCode(frameOf({ code: 99_999 }, SERIALIZE_TYPE.msgpack), RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED);
}

test('bad input: the broker survives every malformed frame and bad request while a good client keeps working', async () => {
  const { consumer, received } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: 'steady-group',
    subscriptions: { steady: '*' },
    consumeFrom: 'first',
  });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'steady-producer' });
  await producer.start();
  let sent = 0;
  let stop = false;
  const steady = (async () => {
    while (!stop) {
      await producer.send({ topic: 'steady', body: `s-${sent}` });
      sent++;
    }
  })();
  try {
    await expectFramingErrorsClosed();
    await expectBadSendsRefused();
    await expectBadRequestsRefused();
  } finally {
    stop = true;
    await steady;
  }
  try {
    const expected = new Set(Array.from({ length: sent }, (_, i) => `s-${i}`));
    const bodies = (list: ReceivedMessage[]): Set<string> => new Set(list.map((m) => m.body.toString()));
    await waitFor(`all ${sent} steady messages consumed`, 30_000, () =>
      [...expected].every((id) => bodies(received).has(id)),
    );
    assert.ok(sent > 0);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test.run();
