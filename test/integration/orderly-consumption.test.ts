// Orderly consumption and de-duplication against a real broker process: per-key order through
// a consumer joining and one leaving mid-stream, failures retried in place, dead letters after
// maxReconsumeTimes, the iterator mode, redeliveries kept from opted-in handlers (a producer's
// re-send of one message id; a consumer SIGKILLed before its offsets were committed), and
// queue locks that survive a broker SIGKILL.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { Producer, PushConsumer, type PushConsumerOptions, type ReceivedMessage } from '../../client/index.js';
import { SEND_MESSAGE_V2_FIELD as F } from '../../protocol/header-fields.js';
import { PROPERTY, encodeMessageProperties } from '../../protocol/message-properties-codec.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { bodyOf } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { pollUntil, queryConsumerOffset } from '../support/broker-requests.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';
import type { DeduplicatingConsumerConfig } from './children/deduplicating-consumer.js';

const DEDUPLICATING_CONSUMER = fileURLToPath(new URL('./children/deduplicating-consumer.js', import.meta.url));
const REQUEST_TIMEOUT_MS = 5000;
const STEP_TIMEOUT_MS = 30_000;
/** The broker logs offsets carried by pulls every second (OFFSET_PULL_COMMIT_INTERVAL_MS); this allows three. */
/** Generous: a loaded machine delays the next pull; the wait ends as soon as it arrives. */
const PULL_COMMIT_WAIT_MS = 15_000;

let fixture: MessagingFixture;
let raw: RemotingClient;

test.before(async () => {
  fixture = await startMessaging('orderly', {
    topics: {
      ordered: 8,
      'ordered-fail': 1,
      'ordered-dlq': 1,
      'ordered-iter': 2,
      dedup: 2,
      'dedup-crash': 2,
      'dedup-offsets': 2,
    },
  });
  raw = new RemotingClient();
});

test.after(async () => {
  raw.close();
  await fixture.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Bodies are "key:seq". */
function keyed(message: ReceivedMessage): { key: string; seq: number } {
  const [key, seq] = message.body.toString('utf8').split(':');
  return { key: key!, seq: Number(seq) };
}

function orderlyOptions(group: string, topic: string, extra: Partial<PushConsumerOptions> = {}): PushConsumerOptions {
  return {
    nameServer: fixture.nameServer,
    group,
    subscriptions: { [topic]: '*' },
    consumeFrom: 'first',
    orderly: true,
    commitIntervalMs: 200,
    ...extra,
  };
}

/**
 * Checks each key's handled sequence numbers: they start at 0 and each is the previous plus one,
 * or (a redelivered suffix after a handover) goes back and then continues contiguously, never
 * skipping one. Returns how many deliveries were redeliveries.
 */
function assertPerKeyOrder(handled: readonly { key: string; seq: number }[], perKey: number): number {
  const byKey = new Map<string, number[]>();
  for (const { key, seq } of handled) {
    const list = byKey.get(key) ?? [];
    list.push(seq);
    byKey.set(key, list);
  }
  let redelivered = 0;
  for (const [key, seqs] of byKey) {
    assert.equal(seqs[0], 0, `key ${key} starts at 0`);
    let highest = 0;
    for (let i = 1; i < seqs.length; i++) {
      const previous = seqs[i - 1]!;
      const current = seqs[i]!;
      assert.ok(current === previous + 1 || current <= previous, `key ${key}: ${current} after ${previous}`);
      if (current <= highest) redelivered++;
      highest = Math.max(highest, current);
    }
    assert.equal(highest, perKey - 1, `key ${key} reached its last message`);
  }
  return redelivered;
}

interface Handled {
  readonly key: string;
  readonly seq: number;
  readonly by: string;
}

/** Handlers that record who handled each message, and count two running for one key at once. */
function handlingRecorder(): {
  handled: Handled[];
  handler: (by: string) => (message: ReceivedMessage) => Promise<void>;
  overlaps: () => number;
} {
  const handled: Handled[] = [];
  const running = new Set<string>();
  let overlaps = 0;
  const handler = (by: string) => async (message: ReceivedMessage) => {
    const { key, seq } = keyed(message);
    if (running.has(key)) overlaps++;
    running.add(key);
    handled.push({ key, seq, by });
    // Mostly 0-2 ms; every 25th message 20 ms, so handovers often find a message in flight.
    await sleep(seq % 25 === 0 ? 20 : seq % 3);
    running.delete(key);
  };
  return { handled, handler, overlaps: () => overlaps };
}

/** Round s sends sequence s of every key; a key's sends never overlap, so they land in order. */
async function sendInRounds(producer: Producer, keys: number, perKey: number): Promise<void> {
  for (let seq = 0; seq < perKey; seq++) {
    await Promise.all(
      Array.from({ length: keys }, (_, k) =>
        producer.send({ topic: 'ordered', body: `key-${k}:${seq}`, shardingKey: `key-${k}` }),
      ),
    );
  }
}

/** Every key's last message handled, and the group's every offset committed. */
async function waitForEveryKeyHandled(handled: readonly Handled[], keys: number, perKey: number): Promise<void> {
  const lastSeq = new Map<string, number>();
  await waitFor('every key to reach its last message', STEP_TIMEOUT_MS, () => {
    for (const { key, seq } of handled) lastSeq.set(key, Math.max(lastSeq.get(key) ?? -1, seq));
    return lastSeq.size === keys && [...lastSeq.values()].every((seq) => seq === perKey - 1);
  });
  await pollUntil('the group to commit every offset', STEP_TIMEOUT_MS, async () =>
    (await fixture.admin.groupProgress('ordered-group', 'ordered')).totalLag === 0 ? true : undefined,
  );
}

test('orderly: 10,000 messages over 100 sharding keys keep per-key order, one consumer at a time per key, while a consumer joins and one leaves (8 queues)', async () => {
  const random = seededRandom('orderly-rebalance');
  const keys = 100;
  const perKey = 100;
  const total = keys * perKey;
  const joinAt = random.between(total / 5, total / 3);
  const leaveAt = random.between(total / 2, (total * 2) / 3);
  const { handled, handler, overlaps } = handlingRecorder();
  const options = orderlyOptions('ordered-group', 'ordered');
  const consumers = new Map<string, PushConsumer>();
  const join = async (name: string): Promise<void> => {
    const consumer = new PushConsumer(options);
    consumers.set(name, consumer);
    await consumer.start(handler(name));
  };
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'ordered-producer' });
  await producer.start();
  const started = performance.now();
  try {
    await join('a');
    await join('b');
    const producing = sendInRounds(producer, keys, perKey);
    await waitFor(`${joinAt} handled before the join`, STEP_TIMEOUT_MS, () => handled.length >= joinAt);
    const phases: string[] = [];
    const mark = (what: string): number => phases.push(`${what} ${(performance.now() - started).toFixed(0)}`);
    mark('join');
    await join('c');
    await waitFor(`${leaveAt} handled before the leave`, STEP_TIMEOUT_MS, () => handled.length >= leaveAt);
    mark('leave');
    await consumers.get('a')!.shutdown();
    mark('left');
    await producing;
    mark('produced');
    await waitForEveryKeyHandled(handled, keys, perKey);
    const elapsedMs = performance.now() - started;
    const redelivered = assertPerKeyOrder(handled, perKey);
    const share = ['a', 'b', 'c'].map((name) => `${name}=${handled.filter((h) => h.by === name).length}`).join(' ');
    console.log(
      `  orderly rebalance: join at ${joinAt}, leave at ${leaveAt}, handled ${share}, ` +
        `${redelivered} redelivered, ${elapsedMs.toFixed(0)} ms (ms at: ${phases.join(', ')})`,
    );
    assert.equal(overlaps(), 0, 'two handlers ran for one key at the same time');
    assert.ok(
      ['a', 'b', 'c'].every((name) => handled.some((h) => h.by === name)),
      'every consumer took part',
    );
    // A handover waits for the message in flight, commits, then unlocks; the next owner locks,
    // then reads the committed offset. So nothing comes twice. (Only a commit lost to a request
    // timeout would redeliver, in order as checked above: the released queue's uncommitted
    // suffix. A release that did not wait for its message in flight shows up here.)
    assert.equal(redelivered, 0, 'messages were redelivered after a handover');
  } finally {
    await producer.shutdown();
    await Promise.all([...consumers.values()].map((consumer) => consumer.shutdown()));
  }
});

test('orderly: a failing message is retried in place after suspendMs, and its queue waits for it (throw, then retry verdict)', async () => {
  const seen: { seq: number; reconsumeTimes: number; msgId: string; atMs: number }[] = [];
  const failOnce = new Set([2, 3]);
  const consumer = new PushConsumer(orderlyOptions('ordered-fail-group', 'ordered-fail', { suspendMs: 300 }));
  const errors: unknown[] = [];
  consumer.onError((error) => errors.push(error));
  await consumer.start(async (message) => {
    const { seq } = keyed(message);
    seen.push({ seq, reconsumeTimes: message.reconsumeTimes, msgId: message.msgId, atMs: performance.now() });
    if (!failOnce.delete(seq)) return undefined;
    if (seq === 2) throw new Error('the first attempt fails');
    return 'retry';
  });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'ordered-fail-producer' });
  await producer.start();
  try {
    for (let seq = 0; seq < 6; seq++)
      await producer.send({ topic: 'ordered-fail', body: `k:${seq}`, shardingKey: 'k' });
    await waitFor('message 5', STEP_TIMEOUT_MS, () => seen.some((s) => s.seq === 5));
    assert.deepEqual(
      seen.map((s) => s.seq),
      [0, 1, 2, 2, 3, 3, 4, 5],
      'the failed message comes again before the next one',
    );
    assert.deepEqual(
      seen.map((s) => s.reconsumeTimes),
      [0, 0, 0, 1, 0, 1, 0, 0],
    );
    assert.equal(seen[3]!.msgId, seen[2]!.msgId, 'the message id stays the same on redelivery');
    for (const retry of [3, 5]) {
      const pauseMs = seen[retry]!.atMs - seen[retry - 1]!.atMs;
      assert.ok(pauseMs >= 250, `retried after ${pauseMs.toFixed(0)} ms, not after the 300 ms suspension`);
    }
    assert.equal(errors.length, 1, 'the thrown error is reported once');
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('orderly: a message failing past maxReconsumeTimes goes to %DLQ% and the queue moves on (maxReconsumeTimes=2)', async () => {
  const group = 'ordered-dlq-group';
  const attempts: number[] = [];
  const handled: string[] = [];
  const consumer = new PushConsumer(orderlyOptions(group, 'ordered-dlq', { suspendMs: 50, maxReconsumeTimes: 2 }));
  await consumer.start(async (message) => {
    const body = message.body.toString('utf8');
    if (body !== 'poison') return void handled.push(body);
    attempts.push(message.reconsumeTimes);
    throw new Error('poison');
  });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'ordered-dlq-producer' });
  await producer.start();
  try {
    for (const body of ['fine-0', 'poison', 'fine-1'])
      await producer.send({ topic: 'ordered-dlq', body, keys: [body], shardingKey: 'k' });
    await waitFor('the message after the poison', STEP_TIMEOUT_MS, () => handled.includes('fine-1'));
    assert.deepEqual(handled, ['fine-0', 'fine-1']);
    assert.deepEqual(attempts, [0, 1, 2], 'delivered 1 + maxReconsumeTimes times, then dead-lettered');
    const [dead] = await pollUntil('the dead letter', STEP_TIMEOUT_MS, async () => {
      const found = await fixture.admin.messagesByKey(`%DLQ%${group}`, 'poison').catch(() => []);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(dead!.body.toString('utf8'), 'poison');
    assert.equal(dead!.properties[PROPERTY.retryTopic], 'ordered-dlq');
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('orderly: the async iterator mode yields each key in order (2 queues, 2 keys x 30)', async () => {
  const consumer = new PushConsumer(orderlyOptions('ordered-iter-group', 'ordered-iter'));
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'ordered-iter-producer' });
  await producer.start();
  try {
    const iterator = consumer.messages();
    for (let seq = 0; seq < 30; seq++) {
      await Promise.all(
        ['x', 'y'].map((key) => producer.send({ topic: 'ordered-iter', body: `${key}:${seq}`, shardingKey: key })),
      );
    }
    const handled: { key: string; seq: number }[] = [];
    for await (const message of iterator) {
      handled.push(keyed(message));
      if (handled.length === 60) break;
    }
    assert.equal(assertPerKeyOrder(handled, 30), 0);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

/** SEND_MESSAGE_V2 of a message with a given UNIQ_KEY: what a producer's retry puts on the wire. */
async function sendWithId(topic: string, queueId: number, body: string, msgId: string): Promise<void> {
  const response = await raw.invoke(
    fixture.broker.address,
    {
      code: REQUEST_CODE.SEND_MESSAGE_V2,
      extFields: {
        [F.producerGroup]: 'resending-producer',
        [F.topic]: topic,
        [F.defaultTopic]: 'TBW102',
        [F.defaultTopicQueueNums]: 4,
        [F.queueId]: queueId,
        [F.sysFlag]: 0,
        [F.bornTimestamp]: Date.now(),
        [F.flag]: 0,
        [F.properties]: encodeMessageProperties({ [PROPERTY.uniqueKey]: msgId }),
        [F.reconsumeTimes]: 0,
        [F.unitMode]: false,
        [F.batch]: false,
      },
      body: Buffer.from(body),
    },
    REQUEST_TIMEOUT_MS,
  );
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
}

test('dedup: a message stored twice under one id (a producer retry) reaches an opted-in handler once', async () => {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'dedup-producer' });
  await producer.start();
  const base = { nameServer: fixture.nameServer, subscriptions: { dedup: '*' }, consumeFrom: 'first' as const };
  const plain = new PushConsumer({ ...base, group: 'dedup-plain' });
  const deduplicating = new PushConsumer({
    ...base,
    group: 'dedup-window',
    deduplicate: { windowMs: 60_000, maxEntries: 1000 },
  });
  const plainIds: string[] = [];
  const dedupIds: string[] = [];
  try {
    await plain.start(async (message) => void plainIds.push(message.msgId));
    await deduplicating.start(async (message) => void dedupIds.push(message.msgId));
    const sent = [];
    for (let i = 0; i < 10; i++) sent.push(await producer.send({ topic: 'dedup', body: `m-${i}` }));
    for (const result of sent.slice(0, 3))
      await sendWithId('dedup', 1 - result.queueId, `resent ${result.msgId}`, result.msgId);
    await waitFor('13 deliveries to the plain group', STEP_TIMEOUT_MS, () => plainIds.length >= 13);
    await waitFor('10 handled and 3 skipped', STEP_TIMEOUT_MS, () => deduplicating.duplicatesSkipped >= 3);
    await waitFor('10 handled', STEP_TIMEOUT_MS, () => dedupIds.length >= 10);
    assert.equal(plainIds.length, 13, 'without de-duplication the re-sent messages come twice');
    assert.equal(new Set(plainIds).size, 10);
    assert.deepEqual([...dedupIds].sort(), sent.map((result) => result.msgId).sort(), 'each id handled once');
    assert.equal(deduplicating.duplicatesSkipped, 3);
  } finally {
    await producer.shutdown();
    await Promise.all([plain.shutdown(), deduplicating.shutdown()]);
  }
});

test('dedup: messages redelivered after a consumer is SIGKILLed before committing skip the handler (file-backed store)', async () => {
  const directory = temporaryDirectory('dedup-crash');
  const config: DeduplicatingConsumerConfig = {
    nameServer: fixture.nameServer,
    group: 'dedup-crash-group',
    topic: 'dedup-crash',
    storeFile: path.join(directory.path, 'processed-ids'),
    handlerAwaitsIo: true,
  };
  const spawn = (label: string): JsonLineChild =>
    JsonLineChild.spawn(DEDUPLICATING_CONSUMER, [JSON.stringify(config)], { label });
  const events = (child: JsonLineChild, event: string) => child.lines.filter((line) => line.event === event);
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'dedup-crash-producer' });
  await producer.start();
  let first: JsonLineChild | undefined;
  let second: JsonLineChild | undefined;
  try {
    // Fewer than a pull batch per queue, and the handler awaits I/O: the pull after the batch
    // left before its messages were done, so the kill finds their offsets uncommitted.
    for (let i = 0; i < 40; i++) await producer.send({ topic: 'dedup-crash', body: `c-${i}` });
    first = spawn('dedup consumer 1');
    await first.waitFor('40 handled and remembered', STEP_TIMEOUT_MS, () =>
      events(first!, 'remembered').length >= 40 ? true : undefined,
    );
    await first.terminate('SIGKILL', 0);
    let committed = 0;
    for (const queueId of [0, 1])
      committed +=
        (await queryConsumerOffset(raw, fixture.broker.address, 'dedup-crash-group', 'dedup-crash', queueId)) ?? 0;
    const lag = 40 - committed;
    assert.ok(lag > 0, 'the kill lost committed progress, so messages will be redelivered');
    second = spawn('dedup consumer 2');
    await second.waitFor('ready', STEP_TIMEOUT_MS, (lines) => lines.find((line) => line.event === 'ready'));
    for (let i = 40; i < 45; i++) await producer.send({ topic: 'dedup-crash', body: `c-${i}` });
    await second.waitFor('the 5 new messages', STEP_TIMEOUT_MS, () =>
      events(second!, 'handled').length >= 5 ? true : undefined,
    );
    second.send('report');
    const skipped = await second.waitFor(
      'the skipped count',
      STEP_TIMEOUT_MS,
      () => events(second!, 'skipped').at(-1)?.count as number | undefined,
    );
    console.log(`  dedup after SIGKILL: lag ${lag} redelivered, ${skipped} skipped`);
    assert.equal(skipped, lag, 'every redelivered message was skipped');
    assert.deepEqual(
      events(second, 'handled')
        .map((line) => line.body)
        .sort(),
      ['c-40', 'c-41', 'c-42', 'c-43', 'c-44'],
      'only the new messages reached the handler',
    );
  } finally {
    await producer.shutdown();
    await Promise.all([first?.terminate('SIGKILL', 0), second?.terminate('SIGKILL', 0)]);
    directory.remove();
  }
});

test('dedup: a deduplicating consumer commits the offsets its pulls carry, as a plain one does, so they survive its SIGKILL', async () => {
  const directory = temporaryDirectory('dedup-offsets');
  const config: DeduplicatingConsumerConfig = {
    nameServer: fixture.nameServer,
    group: 'dedup-offsets-group',
    topic: 'dedup-offsets',
    storeFile: path.join(directory.path, 'processed-ids'),
  };
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'dedup-offsets-producer' });
  await producer.start();
  let child: JsonLineChild | undefined;
  try {
    for (let i = 0; i < 40; i++) await producer.send({ topic: 'dedup-offsets', body: `o-${i}` });
    child = JsonLineChild.spawn(DEDUPLICATING_CONSUMER, [JSON.stringify(config)], { label: 'dedup offsets consumer' });
    const spawned = child;
    await spawned.waitFor('40 remembered', STEP_TIMEOUT_MS, () =>
      spawned.lines.filter((line) => line.event === 'remembered').length >= 40 ? true : undefined,
    );
    const committed = async (): Promise<number> => {
      let sum = 0;
      for (const queueId of [0, 1])
        sum += (await queryConsumerOffset(raw, fixture.broker.address, config.group, config.topic, queueId)) ?? 0;
      return sum;
    };
    // No timer commit (600 s) and no shutdown: only what the pulls carried can be on the broker.
    // The pull carrying the last offsets leaves after the last message is done, so wait for it
    // with the consumer alive; then the offsets must outlive its SIGKILL.
    await pollUntil('the pull-carried offsets of all 40 messages', PULL_COMMIT_WAIT_MS, async () =>
      (await committed()) === 40 ? true : undefined,
    );
    await spawned.terminate('SIGKILL', 0);
    assert.equal(await committed(), 40, 'offsets carried by pulls survive the consumer SIGKILL');
  } finally {
    await producer.shutdown();
    await child?.terminate('SIGKILL', 0);
    directory.remove();
  }
});

/** LOCK_BATCH_MQ for `clientId`; resolves with the queue ids granted. */
async function lockQueues(clientId: string, queueIds: number[], code: number = REQUEST_CODE.LOCK_BATCH_MQ) {
  const body = {
    consumerGroup: 'lock-group',
    clientId,
    onlyThisBroker: true,
    mqSet: queueIds.map((queueId) => ({ topic: 'ordered', brokerName: 'broker-a', queueId })),
  };
  const response = await raw.invoke(
    fixture.broker.address,
    { code, body: Buffer.from(JSON.stringify(body)) },
    REQUEST_TIMEOUT_MS,
  );
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  if (code !== REQUEST_CODE.LOCK_BATCH_MQ) return [];
  const { lockOKMQSet } = JSON.parse(bodyOf(response).toString('utf8')) as { lockOKMQSet: { queueId: number }[] };
  return lockOKMQSet.map((queue) => queue.queueId);
}

test('orderly: queue locks survive a broker SIGKILL and restart; the holder keeps them, others are refused', async () => {
  assert.deepEqual(await lockQueues('client-a', [0, 1]), [0, 1]);
  assert.deepEqual(await lockQueues('client-b', [1, 2]), [2]);
  await fixture.broker.kill();
  await fixture.broker.restart();
  const afterRestart = await pollUntil('the restarted broker', STEP_TIMEOUT_MS, () =>
    lockQueues('client-b', [0, 1, 2]).catch(() => undefined),
  );
  assert.deepEqual(afterRestart, [2], "client-a's locks were restored");
  assert.deepEqual(await lockQueues('client-a', [0, 1]), [0, 1], 'the holder renews');
  await lockQueues('client-a', [0], REQUEST_CODE.UNLOCK_BATCH_MQ);
  assert.deepEqual(await lockQueues('client-b', [0, 1]), [0], 'an unlocked queue is free at once');
  const malformed = await raw.invoke(
    fixture.broker.address,
    { code: REQUEST_CODE.LOCK_BATCH_MQ, body: Buffer.from('{"consumerGroup":"lock-group","mqSet":[]}') },
    REQUEST_TIMEOUT_MS,
  );
  assert.equal(malformed.code, RESPONSE_CODE.SYSTEM_ERROR, 'a request without clientId is refused');
  assert.match(malformed.remark ?? '', /clientId/);
});

test.run();
