// An existing RocketMQ 4.x client, ali-ons 3.12.0 (pure JS, JSON remoting headers), works
// against Tributary unchanged. A real name
// server and broker run in a child process (test/support/broker-processes.ts); ali-ons
// producers and consumers run in their own child processes (children/ali-ons-*.ts), because
// ali-ons never lets a process exit by itself.
//
// The topic is created over the remoting protocol first (Tributary does not auto-create, and
// ali-ons never asks for it). Then: ali-ons sends tagged and keyed messages, one with a body
// over 4 KiB (which ali-ons zlib-compresses), one with a delay level and one with the
// 2-argument Message form (TAGS "null"); an ali-ons consumer subscribed to "TagA || TagB"
// receives exactly the matching ones as sent (body, tags, keys, and msgId equal to the
// sendResult's); a message whose handler throws comes back through CONSUMER_SEND_MSG_BACK and
// %RETRY%<group> with reconsumeTimes 1 to the original handler; the offsets the consumer
// commits are stored, and a consumer of the same group started again resumes after them. A
// new group consuming from LAST gets a young queue from offset 0 (RocketMQ's answer to
// QUERY_CONSUMER_OFFSET while the queue's first message is in memory, here a 1 MiB window),
// an older queue from its end (GET_MAX_OFFSET); one consuming from a time starts there
// (SEARCH_OFFSET_BY_TIMESTAMP). A consumed message sent on with its properties as ali-ons
// decoded them (an empty '' -> '' pair among them) is stored and delivered;
// signed requests (Aliyun ACL fields) are taken as any other; a consumer rides out a broker
// SIGKILL and restart; a message failing past maxReconsumeTimes lands in %DLQ%<group>.
//
// A delayed message is re-stored when due, so the consumer sees a new offset msgId, not the
// one ali-ons got from the send (the same happens with Apache RocketMQ; ali-ons has no UNIQ_KEY).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, stopAll, TEST_DELAY_LEVELS_MS, type BrokerProcess } from '../support/broker-processes.js';
import {
  createTopic,
  maxQueueOffset,
  pollUntil,
  queryConsumerOffset,
  queryMessagesByKey,
  waitForRoute,
} from '../support/broker-requests.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { seededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { temporaryDirectory } from '../support/temporary-directory.js';
import type { ConsumerChildConfig } from './children/ali-ons-consumer.js';
import type { ProducerChildConfig, ProducerChildMessage } from './children/ali-ons-producer.js';

const PRODUCER_SCRIPT = fileURLToPath(new URL('./children/ali-ons-producer.js', import.meta.url));
const CONSUMER_SCRIPT = fileURLToPath(new URL('./children/ali-ons-consumer.js', import.meta.url));

const TOPIC = 'AliOnsCompat';
const QUEUES = 4;
const PRODUCER_GROUP = 'PG_ALI_ONS';
const CONSUMER_GROUP = 'CG_ALI_ONS';
const RETRY_TOPIC = `%RETRY%${CONSUMER_GROUP}`;
const SUBSCRIPTION = 'TagA || TagB';
const SUBSCRIBED_TAGS: ReadonlySet<string> = new Set(['TagA', 'TagB']);
const TAGS = ['TagA', 'TagB', 'TagC'] as const;
/** ali-ons compresses bodies of 4096 bytes and more. */
const BIG_BODY_BYTES = 5000;
const DELAY_LEVEL = 2;
/** The broker retries a first failure at level 3 (+ reconsume times). */
const RETRY_DELAY_MS = TEST_DELAY_LEVELS_MS[2]!;
const FAIL_ONCE_KEY = 'fail-once';
const PLAIN_COUNT = soakScale(24, 240);

/**
 * The broker's in-memory window (messageInMemoryBytes): a new group starts at 0 in a queue
 * whose first message lies within it of the log's end. Ballast past it makes a queue "old".
 */
const IN_MEMORY_WINDOW_BYTES = 1024 * 1024;
const BALLAST_TOPIC = 'AliOnsBallast';
const BALLAST_BODY_BYTES = 256 * 1024;
const STEP_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;
/** How often the consumer commits offsets (ali-ons default 5 s; shorter keeps the test quick). */
const PERSIST_OFFSET_INTERVAL_MS = 1000;

interface Sent {
  readonly spec: ProducerChildMessage;
  readonly body: Buffer;
  readonly msgId: string;
  readonly queueId: number;
  readonly queueOffset: number;
}

interface Delivery {
  readonly topic: string;
  readonly msgId: string;
  readonly tags: string | null;
  readonly keys: string | null;
  readonly bodyBase64: string;
  readonly reconsumeTimes: number;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly bornTimestamp: number;
  readonly storeTimestamp: number;
  readonly sysFlag: number;
  readonly retryTopic: string | null;
  readonly originMessageId: string | null;
  /** As ali-ons decoded them (with an empty '' -> '' pair it adds to every message). */
  readonly properties: Readonly<Record<string, string>>;
  readonly failed: boolean;
}

const random = seededRandom('ali-ons compat');
const directory = temporaryDirectory('ali-ons-compat');
const admin = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
let broker: BrokerProcess | undefined;
const sent: Sent[] = [];
/** What the first consumer got, for the offset checks. */
const firstRun: Delivery[] = [];
const consumers = new Set<JsonLineChild>();

function requireBroker(): BrokerProcess {
  assert.ok(broker !== undefined, 'the broker did not start');
  return broker;
}

/** A body of `length` bytes: text for big ones (compressible, as real payloads), else random bytes. */
function body(length: number, text: boolean): Buffer {
  if (!text) return random.bytes(length);
  const words = ['tributary', 'broker', 'queue', 'offset', 'segment', 'retry', 'delay'];
  let value = '';
  while (value.length < length) value += `${random.pick(words)} `;
  return Buffer.from(value.slice(0, length));
}

/** The messages to send: plain ones with random tags and keys, and the special ones at random places. */
function messagesToSend(): ProducerChildMessage[] {
  const messages: ProducerChildMessage[] = [];
  for (let i = 0; i < PLAIN_COUNT; i++) {
    const keys = random.int(3) === 0 ? [`k-${i}`, `extra-${random.int(1000)}`] : [`k-${i}`];
    messages.push({
      topic: TOPIC,
      tags: random.pick(TAGS),
      keys,
      bodyBase64: body(random.between(1, 300), false).toString('base64'),
    });
  }
  const specials: ProducerChildMessage[] = [
    { topic: TOPIC, tags: 'TagB', keys: ['big'], bodyBase64: body(BIG_BODY_BYTES, true).toString('base64') },
    {
      topic: TOPIC,
      tags: 'TagA',
      keys: ['delayed'],
      bodyBase64: body(64, false).toString('base64'),
      delayTimeLevel: DELAY_LEVEL,
    },
    {
      topic: TOPIC,
      tags: 'TagB',
      keys: [FAIL_ONCE_KEY, 'second-key'],
      bodyBase64: body(100, false).toString('base64'),
    },
    { topic: TOPIC, keys: ['untagged'], bodyBase64: body(32, false).toString('base64') },
  ];
  for (const special of specials) messages.splice(random.int(messages.length + 1), 0, special);
  return messages;
}

/** Runs an ali-ons producer child until it has sent `messages`; returns what it reported. */
async function produce(
  messages: readonly ProducerChildMessage[],
  label: string,
  options: Partial<ProducerChildConfig> = {},
): Promise<Sent[]> {
  const config: ProducerChildConfig = {
    nameServer: requireBroker().nameServerAddress!,
    group: PRODUCER_GROUP,
    messages,
    ...options,
  };
  const child = JsonLineChild.spawn(PRODUCER_SCRIPT, [JSON.stringify(config)], { label });
  try {
    await child.waitFor('producer done', STEP_TIMEOUT_MS, (lines) =>
      lines.find((line) => line.event === 'done' || line.event === 'failed'),
    );
    const exit = await child.waitForExit(CLOSE_TIMEOUT_MS);
    if (exit.code !== 0) throw child.failure(`exited with ${exit.code}: ${JSON.stringify(child.lines.at(-1))}`);
    const errors = child.lines.filter((line) => line.event === 'error');
    assert.deepEqual(errors, [], `${label} reported errors`);
    return child.lines
      .filter((line) => line.event === 'sent')
      .map((line) => {
        const spec = messages[line.index as number]!;
        assert.equal(line.sendStatus, 'SEND_OK', `${label}: message ${String(line.index)}`);
        return {
          spec,
          body: Buffer.from(spec.bodyBase64, 'base64'),
          msgId: String(line.msgId),
          queueId: Number(line.queueId),
          queueOffset: Number(line.queueOffset),
        };
      });
  } finally {
    await child.terminate('SIGKILL', 0);
  }
}

function startConsumer(label: string, options: Partial<ConsumerChildConfig> = {}): JsonLineChild {
  const config: ConsumerChildConfig = {
    nameServer: requireBroker().nameServerAddress!,
    group: CONSUMER_GROUP,
    topic: TOPIC,
    subExpression: SUBSCRIPTION,
    failures: { [FAIL_ONCE_KEY]: 1 },
    persistConsumerOffsetIntervalMs: PERSIST_OFFSET_INTERVAL_MS,
    ...options,
  };
  const child = JsonLineChild.spawn(CONSUMER_SCRIPT, [JSON.stringify(config)], { label });
  consumers.add(child);
  return child;
}

/** "close" on stdin: ali-ons commits its offsets and unregisters; the child then exits 0. */
async function closeConsumer(child: JsonLineChild): Promise<void> {
  child.send('close');
  await child.waitFor('consumer closed', CLOSE_TIMEOUT_MS, (lines) => lines.find((line) => line.event === 'closed'));
  const exit = await child.waitForExit(CLOSE_TIMEOUT_MS);
  assert.equal(exit.code, 0, `${child.label} exit`);
  consumers.delete(child);
}

function deliveries(child: JsonLineChild): Delivery[] {
  return child.lines.filter((line) => line.event === 'message') as unknown as Delivery[];
}

/** Errors other than those ali-ons raises by design (reference §1.8): the deliberate handler failure, no offset yet. */
function unexpectedErrors(child: JsonLineChild): Record<string, unknown>[] {
  const closingAt = child.lines.findIndex((line) => line.event === 'closing');
  return child.lines.filter(
    (line, index) =>
      line.event === 'error' &&
      !/deliberate failure for key/.test(String(line.message)) &&
      !/no committed offset/.test(String(line.message)) &&
      // ali-ons fails the requests it still has in flight when it closes its own sockets.
      !(closingAt >= 0 && index > closingAt && line.name === 'SocketCloseError'),
  );
}

function assertDeliveredAsSent(delivery: Delivery, message: Sent, context: string): void {
  const where = `${context}: message with keys ${message.spec.keys?.join(' ')}`;
  assert.equal(delivery.topic, TOPIC, `${where}: topic`);
  assert.ok(Buffer.from(delivery.bodyBase64, 'base64').equals(message.body), `${where}: body differs`);
  assert.equal(delivery.tags, message.spec.tags ?? 'null', `${where}: tags`);
  assert.equal(delivery.keys, message.spec.keys?.join(' ') ?? null, `${where}: keys`);
}

/**
 * Waits until the group's committed offset of a queue covers everything the consumer got from
 * it. It may also cover filtered-out messages after those (up to the queue's end): ali-ons
 * moves its offset over them only when a pull finds nothing more (correctTagsOffset).
 */
async function assertCommitted(
  address: string,
  topic: string,
  queueId: number,
  got: readonly Delivery[],
): Promise<void> {
  const inQueue = got.filter((delivery) => delivery.queueId === queueId);
  const floor = inQueue.length === 0 ? 0 : Math.max(...inQueue.map((delivery) => delivery.queueOffset)) + 1;
  const max = await maxQueueOffset(admin, address, topic, queueId);
  await pollUntil(`an offset in [${floor}, ${max}] committed for ${topic}/${queueId}`, STEP_TIMEOUT_MS, async () => {
    const committed = (await queryConsumerOffset(admin, address, CONSUMER_GROUP, topic, queueId)) ?? 0;
    return committed >= floor && committed <= max ? true : undefined;
  });
}

test.before(async () => {
  broker = await startBrokerProcess({
    dataDirectory: directory.path,
    label: 'ali-ons broker',
    messageInMemoryBytes: IN_MEMORY_WINDOW_BYTES,
  });
  for (const [topic, queues] of [
    [TOPIC, QUEUES],
    [BALLAST_TOPIC, 1],
  ] as const) {
    await createTopic(admin, broker.address, topic, queues);
    await waitForRoute(admin, broker.nameServerAddress!, topic, STEP_TIMEOUT_MS);
  }
});

test.after(async () => {
  await Promise.allSettled([...consumers].map((child) => child.terminate('SIGKILL', 0)));
  admin.close();
  await stopAll([broker]);
  directory.remove();
});

test(`ali-ons compat: Producer sends tagged, keyed, compressed and delayed messages (${PLAIN_COUNT} + 4 messages, ${QUEUES} queues)`, async () => {
  const messages = messagesToSend();
  sent.push(...(await produce(messages, 'ali-ons producer')));
  assert.equal(sent.length, messages.length, 'every message has a send result');
  const { port } = requireBroker();
  const storeHostHex = `7F000001${port.toString(16).toUpperCase().padStart(8, '0')}`;
  for (const message of sent) {
    assert.match(message.msgId, /^[0-9A-F]{32}$/, 'msgId is an offset message id');
    assert.equal(message.msgId.slice(0, 16), storeHostHex, 'msgId names the broker as store host');
    if (message.spec.delayTimeLevel === undefined)
      assert.ok(message.queueId >= 0 && message.queueId < QUEUES, `queueId ${message.queueId}`);
  }
  const offsets = new Map<number, number[]>();
  for (const message of sent.filter((m) => m.spec.delayTimeLevel === undefined)) {
    offsets.set(message.queueId, [...(offsets.get(message.queueId) ?? []), message.queueOffset]);
  }
  for (const [queueId, queueOffsets] of offsets) {
    assert.deepEqual(
      queueOffsets,
      queueOffsets.map((_, i) => i),
      `queue ${queueId} offsets are consecutive from 0`,
    );
    assert.equal(
      await maxQueueOffset(admin, requireBroker().address, TOPIC, queueId),
      queueOffsets.length,
      `max offset of queue ${queueId}`,
    );
  }
});

test(`ali-ons compat: Consumer gets every matching message once as sent, a failed one again via %RETRY% (subscription '${SUBSCRIPTION}')`, async () => {
  assert.ok(sent.length > 0, 'the producer test ran first');
  const matching = sent.filter((message) => message.spec.tags !== undefined && SUBSCRIBED_TAGS.has(message.spec.tags));
  const consumer = startConsumer('ali-ons consumer');
  const expectedCount = matching.length + 1; // The failed one comes twice.
  await consumer.waitFor(`${expectedCount} deliveries`, STEP_TIMEOUT_MS, () =>
    deliveries(consumer).length >= expectedCount ? true : undefined,
  );
  await closeConsumer(consumer);
  const got = deliveries(consumer);
  firstRun.push(...got);
  assert.equal(got.length, expectedCount, 'no duplicate or extra delivery');
  for (const delivery of got)
    assert.ok(
      delivery.tags !== null && SUBSCRIBED_TAGS.has(delivery.tags),
      `delivered tag ${delivery.tags} is subscribed`,
    );
  for (const message of matching) {
    const keys = message.spec.keys!.join(' ');
    const received = got.filter((delivery) => delivery.keys === keys);
    const first = received[0];
    assert.ok(first !== undefined, `message with keys ${keys} was not delivered`);
    assertDeliveredAsSent(first, message, 'first delivery');
    assert.equal(first.reconsumeTimes, 0, `${keys}: first delivery reconsumeTimes`);
    if (message.body.length >= BIG_BODY_BYTES)
      assert.equal(first.sysFlag & 1, 1, `${keys}: stored and delivered zlib-compressed`);
    if (message.spec.delayTimeLevel === undefined) {
      assert.equal(first.msgId, message.msgId, `${keys}: msgId equals the send result's`);
      assert.equal(first.queueId, message.queueId, `${keys}: queueId`);
      assert.equal(first.queueOffset, message.queueOffset, `${keys}: queueOffset`);
    } else {
      const delayMs = TEST_DELAY_LEVELS_MS[message.spec.delayTimeLevel - 1]!;
      assert.ok(
        first.storeTimestamp - first.bornTimestamp >= delayMs,
        `${keys}: delivered ${first.storeTimestamp - first.bornTimestamp} ms after sending, level ${message.spec.delayTimeLevel} is ${delayMs} ms`,
      );
    }
    if (!message.spec.keys!.includes(FAIL_ONCE_KEY)) {
      assert.equal(received.length, 1, `${keys}: delivered once`);
      continue;
    }
    assert.equal(received.length, 2, `${keys}: delivered, failed, delivered again`);
    const [failed, retried] = received as [Delivery, Delivery];
    assert.equal(failed.failed, true);
    assertDeliveredAsSent(retried, message, 'retry');
    assert.equal(retried.reconsumeTimes, 1, 'the retry has reconsumeTimes 1');
    assert.equal(retried.retryTopic, TOPIC, 'the retry carries RETRY_TOPIC');
    assert.equal(retried.originMessageId, message.msgId, 'the retry carries ORIGIN_MESSAGE_ID');
    assert.notEqual(retried.msgId, message.msgId, 'the retry is a new record');
    assert.ok(
      retried.storeTimestamp - failed.storeTimestamp >= RETRY_DELAY_MS,
      `retried ${retried.storeTimestamp - failed.storeTimestamp} ms later, level 3 is ${RETRY_DELAY_MS} ms`,
    );
  }
  assert.deepEqual(unexpectedErrors(consumer), [], 'consumer errors');
});

test('ali-ons compat: committed offsets are stored and a restarted consumer resumes after them (same group, new messages)', async () => {
  assert.ok(firstRun.length > 0, 'the consumer test ran first');
  const { address } = requireBroker();
  for (let queueId = 0; queueId < QUEUES; queueId++) {
    await assertCommitted(
      address,
      TOPIC,
      queueId,
      firstRun.filter((delivery) => delivery.retryTopic === null),
    );
  }
  await assertCommitted(
    address,
    RETRY_TOPIC,
    0,
    firstRun.filter((delivery) => delivery.retryTopic !== null),
  );
  const consumer = startConsumer('ali-ons consumer (restarted)');
  const fresh = freshMessages(QUEUES * 2, 'after-restart');
  const freshSent = await produce(fresh, 'ali-ons producer (after restart)');
  assert.equal(new Set(freshSent.map((message) => message.queueId)).size, QUEUES, 'the new messages reach every queue');
  await consumer.waitFor(`${fresh.length} new deliveries`, STEP_TIMEOUT_MS, () =>
    deliveries(consumer).length >= fresh.length ? true : undefined,
  );
  await closeConsumer(consumer);
  // Each queue got new messages and queues deliver in offset order, so any old message a
  // wrongly rewound queue would re-deliver came before them.
  const got = deliveries(consumer);
  assert.deepEqual(
    got.map((delivery) => delivery.msgId).sort(),
    freshSent.map((message) => message.msgId).sort(),
    'only the new messages',
  );
  assert.deepEqual(unexpectedErrors(consumer), [], 'consumer errors');
});

/** Tagged messages that every test subscription takes, with fresh keys. */
function freshMessages(count: number, prefix: string): ProducerChildMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    topic: TOPIC,
    tags: 'TagA',
    keys: [`${prefix}-${i}`],
    bodyBase64: body(40, false).toString('base64'),
  }));
}

/** ali-ons' consumeTimestamp format: local time, second precision. */
function aliOnsTime(ms: number): string {
  const date = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`;
}

/**
 * Random (incompressible) bodies past the in-memory window, so every queue before them is old.
 * Sent over the test's own connection: bodies this big do not fit a child's command line.
 */
async function writeBallast(): Promise<void> {
  const count = Math.ceil(IN_MEMORY_WINDOW_BYTES / BALLAST_BODY_BYTES) + 1;
  for (let i = 0; i < count; i++) {
    const response = await admin.invoke(
      requireBroker().address,
      {
        code: REQUEST_CODE.SEND_MESSAGE_V2,
        extFields: { a: PRODUCER_GROUP, b: BALLAST_TOPIC, c: 'TBW102', d: 1, e: 0, f: 0, g: Date.now(), h: 0, i: '' },
        body: random.bytes(BALLAST_BODY_BYTES),
      },
      STEP_TIMEOUT_MS,
    );
    assert.equal(response.code, RESPONSE_CODE.SUCCESS, `ballast ${i}: ${response.remark ?? ''}`);
  }
}

test('ali-ons compat: new groups start at the ends of old queues (LAST_OFFSET, QUERY_NOT_FOUND then GET_MAX_OFFSET) or at a time (TIMESTAMP, SEARCH_OFFSET_BY_TIMESTAMP)', async () => {
  // The topic's first messages are pushed out of the in-memory window: its queues are old.
  await writeBallast();
  // Everything so far was stored before `since`; ali-ons timestamps have second precision.
  const since = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await pollUntil('the clock to pass a whole second', 2000, () => (Date.now() >= since ? true : undefined));
  // Signed requests (Aliyun ACL fields): the broker takes them like any other.
  const signed = { accessKey: 'AK_TEST', secretKey: 'SK_TEST' };
  const before = await produce(
    freshMessages(QUEUES * 2, 'before-start'),
    'ali-ons producer (signed, before new groups)',
    signed,
  );
  const fromLast = startConsumer('ali-ons consumer (last offset)', {
    group: `${CONSUMER_GROUP}_LAST`,
    consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
    failures: {},
  });
  const fromTime = startConsumer('ali-ons consumer (timestamp)', {
    group: `${CONSUMER_GROUP}_TIME`,
    consumeFromWhere: 'CONSUME_FROM_TIMESTAMP',
    consumeTimestamp: aliOnsTime(since),
    failures: {},
  });
  // Messages sent once the last-offset group has placed itself in every queue must reach it.
  await fromLast.waitFor(`all ${QUEUES} queues assigned`, STEP_TIMEOUT_MS, (lines) =>
    lines.filter((line) => line.event === 'assigned' && line.topic === TOPIC).length >= QUEUES ? true : undefined,
  );
  await fromTime.waitFor(`${before.length} deliveries`, STEP_TIMEOUT_MS, () =>
    deliveries(fromTime).length >= before.length ? true : undefined,
  );
  const after = await produce(freshMessages(QUEUES * 2, 'after-start'), 'ali-ons producer (after new groups)');
  await fromLast.waitFor(`${after.length} deliveries`, STEP_TIMEOUT_MS, () =>
    deliveries(fromLast).length >= after.length ? true : undefined,
  );
  await fromTime.waitFor(`${before.length + after.length} deliveries`, STEP_TIMEOUT_MS, () =>
    deliveries(fromTime).length >= before.length + after.length ? true : undefined,
  );
  await Promise.all([closeConsumer(fromLast), closeConsumer(fromTime)]);
  const ids = (messages: readonly { msgId: string }[]): string[] => messages.map((message) => message.msgId).sort();
  assert.deepEqual(ids(deliveries(fromLast)), ids(after), 'the last-offset group gets only what came after it started');
  assert.deepEqual(
    ids(deliveries(fromTime)),
    ids([...before, ...after]),
    'the timestamp group gets everything stored since then',
  );
  assert.deepEqual([...unexpectedErrors(fromLast), ...unexpectedErrors(fromTime)], [], 'consumer errors');
});

/** Creates a topic of `queues` queues and waits until the name server routes it. */
async function freshTopic(topic: string, queues: number): Promise<void> {
  const { address, nameServerAddress } = requireBroker();
  await createTopic(admin, address, topic, queues);
  await waitForRoute(admin, nameServerAddress!, topic, STEP_TIMEOUT_MS);
}

/** What a group consuming from LAST got in a young queue; test (b) sends it on. */
let youngDelivery: Delivery | undefined;

test('ali-ons compat: a group created after the first send, consuming from LAST, receives that first message (offset 0 on a young queue, no QUERY_NOT_FOUND error per queue)', async () => {
  const topic = 'AliOnsYoung';
  await freshTopic(topic, 2);
  const [first] = await produce(
    freshMessages(1, 'young-first').map((message) => ({ ...message, topic })),
    'ali-ons producer (young topic)',
  );
  const consumer = startConsumer('ali-ons consumer (young, last offset)', {
    group: `${CONSUMER_GROUP}_YOUNG`,
    topic,
    subExpression: '*',
    consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
    failures: {},
  });
  await consumer.waitFor('the first message', STEP_TIMEOUT_MS, () =>
    deliveries(consumer).length >= 1 ? true : undefined,
  );
  await consumer.waitFor(`all 2 queues assigned`, STEP_TIMEOUT_MS, (lines) =>
    lines.filter((line) => line.event === 'assigned' && line.topic === topic).length >= 2 ? true : undefined,
  );
  await closeConsumer(consumer);
  assert.deepEqual(
    deliveries(consumer).map((delivery) => delivery.msgId),
    [first!.msgId],
    'the message sent before the group existed',
  );
  youngDelivery = deliveries(consumer)[0];
  const notFound = consumer.lines.filter(
    (line) => line.event === 'error' && /no committed offset/.test(String(line.message)),
  );
  assert.deepEqual(notFound, [], 'no QUERY_NOT_FOUND error for a young queue');
  assert.deepEqual(unexpectedErrors(consumer), [], 'consumer errors');
});

test("ali-ons compat: a consumed message sent on with its properties as ali-ons decoded them (an empty '' -> '' pair among them) is stored without the pair and delivered", async () => {
  const received = youngDelivery;
  assert.ok(received !== undefined, 'the young-queue test ran first');
  assert.equal(received.properties[''], '', 'ali-ons decodes an empty pair into every message');
  const topic = 'AliOnsForwarded';
  await freshTopic(topic, 1);
  const [forwarded] = await produce(
    [{ topic, tags: received.tags ?? undefined, bodyBase64: received.bodyBase64, properties: received.properties }],
    'ali-ons producer (sending on a received message)',
  );
  const [stored, ...more] = await queryMessagesByKey(admin, requireBroker().address, topic, received.keys!);
  assert.ok(stored !== undefined && more.length === 0, 'stored once, found by its key');
  assert.ok(stored.body.equals(Buffer.from(received.bodyBase64, 'base64')), 'the body is kept');
  assert.equal(stored.tags, received.tags);
  assert.equal('' in stored.properties, false, 'the empty pair is dropped');
  const consumer = startConsumer('ali-ons consumer (forwarded)', {
    group: `${CONSUMER_GROUP}_FORWARDED`,
    topic,
    subExpression: '*',
    failures: {},
  });
  await consumer.waitFor('the forwarded message', STEP_TIMEOUT_MS, () =>
    deliveries(consumer).length >= 1 ? true : undefined,
  );
  await closeConsumer(consumer);
  const [delivered] = deliveries(consumer);
  assert.equal(delivered!.msgId, forwarded!.msgId);
  assert.equal(delivered!.bodyBase64, received.bodyBase64);
  assert.equal(delivered!.keys, received.keys);
  assert.deepEqual(unexpectedErrors(consumer), [], 'consumer errors');
});

test('ali-ons compat: a consumer and producers ride out a broker crash (SIGKILL, restart on the same port and data)', async () => {
  const server = requireBroker();
  const topic = 'AliOnsCrash';
  const group = `${CONSUMER_GROUP}_CRASH`;
  await createTopic(admin, server.address, topic, 2);
  await waitForRoute(admin, server.nameServerAddress!, topic, STEP_TIMEOUT_MS);
  const consumer = startConsumer('ali-ons consumer (crash)', { group, topic, subExpression: '*', failures: {} });
  const batch = (prefix: string): ProducerChildMessage[] =>
    freshMessages(6, prefix).map((message) => ({ ...message, topic }));
  const before = await produce(batch('before-crash'), 'ali-ons producer (before crash)');
  await consumer.waitFor(`${before.length} deliveries`, STEP_TIMEOUT_MS, () =>
    deliveries(consumer).length >= before.length ? true : undefined,
  );
  const committed = async (): Promise<(number | undefined)[]> =>
    Promise.all([0, 1].map((queueId) => queryConsumerOffset(admin, server.address, group, topic, queueId)));
  const ends = await Promise.all([0, 1].map((queueId) => maxQueueOffset(admin, server.address, topic, queueId)));
  await pollUntil('offsets committed before the crash', STEP_TIMEOUT_MS, async () =>
    String(await committed()) === String(ends) ? true : undefined,
  );

  await server.kill();
  await server.restart();
  await waitForRoute(admin, server.nameServerAddress!, topic, STEP_TIMEOUT_MS);
  assert.deepEqual(await committed(), ends, 'committed offsets survive the crash');
  const after = await produce(batch('after-crash'), 'ali-ons producer (after crash)');
  const all = [...before, ...after];
  await consumer.waitFor(`${all.length} deliveries`, STEP_TIMEOUT_MS, () =>
    deliveries(consumer).length >= all.length ? true : undefined,
  );
  await closeConsumer(consumer);
  const ids = (messages: readonly { msgId: string }[]): string[] => messages.map((message) => message.msgId).sort();
  assert.deepEqual(ids(deliveries(consumer)), ids(all), 'every message once, across the crash');
  const notConnectionErrors = unexpectedErrors(consumer).filter(
    (line) => !/ECONNRESET|ECONNREFUSED|socket|closed/i.test(String(line.message)),
  );
  assert.deepEqual(notConnectionErrors, [], 'consumer errors other than the lost connection');
});

test('ali-ons compat: a message failing past maxReconsumeTimes goes to %DLQ%<group> (maxReconsumeTimes 1)', async () => {
  const { address, nameServerAddress } = requireBroker();
  const topic = 'AliOnsDeadLetter';
  const group = `${CONSUMER_GROUP}_DLQ`;
  await createTopic(admin, address, topic, 1);
  await waitForRoute(admin, nameServerAddress!, topic, STEP_TIMEOUT_MS);
  const consumer = startConsumer('ali-ons consumer (dead letter)', {
    group,
    topic,
    subExpression: '*',
    failures: { poison: 100 },
    maxReconsumeTimes: 1,
  });
  const messages = ['fine-0', 'poison', 'fine-1'].map((key): ProducerChildMessage => ({
    topic,
    tags: 'TagA',
    keys: [key],
    bodyBase64: body(50, false).toString('base64'),
  }));
  const [, poison] = await produce(messages, 'ali-ons producer (dead letter)');
  const deadLetterTopic = `%DLQ%${group}`;
  await pollUntil(`a message in ${deadLetterTopic}`, STEP_TIMEOUT_MS, async () =>
    (await maxQueueOffset(admin, address, deadLetterTopic, 0)) === 1 ? true : undefined,
  );
  await closeConsumer(consumer);
  const poisoned = deliveries(consumer).filter((delivery) => delivery.keys === 'poison');
  assert.deepEqual(
    poisoned.map((delivery) => delivery.reconsumeTimes),
    [0, 1],
    'delivered once and retried once, then no more',
  );
  assert.deepEqual(
    deliveries(consumer)
      .filter((delivery) => delivery.keys !== 'poison')
      .map((delivery) => delivery.keys)
      .sort(),
    ['fine-0', 'fine-1'],
  );
  const [dead, ...more] = await queryMessagesByKey(admin, address, deadLetterTopic, 'poison');
  assert.ok(dead !== undefined && more.length === 0, 'one dead letter, found by its key');
  assert.ok(dead.body.equals(Buffer.from(messages[1]!.bodyBase64, 'base64')), 'the dead letter keeps the body');
  assert.equal(dead.tags, 'TagA');
  assert.equal(dead.reconsumeTimes, 2, 'reconsumeTimes counts the failed retry');
  assert.equal(dead.properties.RETRY_TOPIC, topic, 'RETRY_TOPIC names the original topic');
  assert.equal(dead.properties.ORIGIN_MESSAGE_ID, poison!.msgId, 'ORIGIN_MESSAGE_ID is the first send result msgId');
  assert.equal(dead.properties.DELAY, undefined, 'a dead letter is not delayed');
  assert.deepEqual(unexpectedErrors(consumer), [], 'consumer errors');
});

test.run();
