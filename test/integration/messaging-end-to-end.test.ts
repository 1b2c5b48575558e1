// Producers and consumers against a real broker process: delivery, ordering, rebalance, long
// polling, broadcasting and tag filtering.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Producer, PushConsumer, type ReceivedMessage } from '../../client/index.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { seededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('e2e', { topics: { volume: 8, joins: 8, idle: 4, broadcast: 2, tagged: 2 } });
});

test.after(async () => {
  await fixture.close();
});

function idOf(message: ReceivedMessage): string {
  return message.body.toString('utf8');
}

/** Every queue's offsets delivered in increasing order (handler start order). */
function assertQueueOrder(received: readonly ReceivedMessage[]): void {
  const last = new Map<string, number>();
  for (const message of received) {
    const key = `${message.topic}/${message.queueId}`;
    const previous = last.get(key) ?? -1;
    assert.ok(message.queueOffset > previous, `queue ${key}: offset ${message.queueOffset} after ${previous}`);
    last.set(key, message.queueOffset);
  }
}

test('e2e: 100,000 messages from 2 producers over 8 queues reach a group of 3 exactly once, in queue order', async () => {
  const total = soakScale(100_000, 300_000);
  const consumers = await Promise.all(
    [0, 1, 2].map(() =>
      recordingConsumer({
        nameServer: fixture.nameServer,
        group: 'volume-group',
        subscriptions: { volume: '*' },
        consumeFrom: 'first',
      }),
    ),
  );
  await waitFor(
    'the group to split 8 queues',
    15_000,
    () =>
      consumers
        .map((c) => c.consumer.assignment().filter((q) => q.topic === 'volume').length)
        .sort()
        .join() === '2,3,3',
  );
  const producers = [
    new Producer({ nameServer: fixture.nameServer, group: 'volume-p1' }),
    new Producer({ nameServer: fixture.nameServer, group: 'volume-p2' }),
  ];
  try {
    await Promise.all(producers.map((p) => p.start()));
    const results = await Promise.all(
      producers.map(async (producer, p) => {
        const sent = [];
        for (let i = 0; i < total / 2; i += 1000) {
          const window = Array.from({ length: 1000 }, (_, j) =>
            producer.send({ topic: 'volume', body: `p${p}-${i + j}` }),
          );
          sent.push(...(await Promise.all(window)));
        }
        return sent;
      }),
    );
    await waitFor(
      `${total} messages consumed`,
      120_000,
      () => consumers.reduce((n, c) => n + c.received.length, 0) >= total,
    );
    const seen = new Map<string, number>();
    for (const { received } of consumers)
      for (const message of received) seen.set(idOf(message), (seen.get(idOf(message)) ?? 0) + 1);
    assert.equal(seen.size, total);
    assert.ok(
      [...seen.values()].every((count) => count === 1),
      'a message was delivered twice',
    );
    for (const { received } of consumers) assertQueueOrder(received);
    for (const sent of results) {
      const perQueue = new Map<number, number>();
      for (const result of sent) {
        assert.ok(
          result.queueOffset > (perQueue.get(result.queueId) ?? -1),
          "a producer's sends to one queue keep their order",
        );
        perQueue.set(result.queueId, result.queueOffset);
      }
    }
  } finally {
    await Promise.all(producers.map((p) => p.shutdown()));
    await Promise.all(consumers.map((c) => c.consumer.shutdown()));
  }
});

test('e2e: a consumer joining and one leaving mid-stream lose nothing and redeliver at most what was in flight', async () => {
  const random = seededRandom('e2e-rebalance');
  const total = 20_000;
  const options = {
    nameServer: fixture.nameServer,
    group: 'joins-group',
    subscriptions: { joins: '*' },
    consumeFrom: 'first' as const,
    commitIntervalMs: 200,
  };
  const a = await recordingConsumer(options);
  const b = await recordingConsumer(options);
  let c: Awaited<ReturnType<typeof recordingConsumer>> | undefined;
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'joins-producer' });
  await producer.start();
  const joinAt = random.between(total / 5, total / 3);
  const leaveAt = random.between(total / 2, (total * 2) / 3);
  try {
    for (let i = 0; i < total; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, j) => producer.send({ topic: 'joins', body: `m-${i + j}` })));
      if (i >= joinAt && c === undefined) c = await recordingConsumer(options);
      if (i >= leaveAt && a.consumer.assignment().length > 0) await a.consumer.shutdown();
    }
    const all = (): ReceivedMessage[] => [...a.received, ...b.received, ...(c?.received ?? [])];
    await waitFor('every message consumed', 60_000, () => new Set(all().map(idOf)).size >= total);
    const duplicates = all().length - new Set(all().map(idOf)).size;
    console.log(`  rebalance: join at ${joinAt}, leave at ${leaveAt}, ${duplicates} redelivered of ${total}`);
    assert.ok(duplicates <= 2000, `${duplicates} redeliveries exceed the bound of 2000 (two prefetch windows)`);
  } finally {
    await producer.shutdown();
    await Promise.all([a, b, c].map((x) => x?.consumer.shutdown()));
  }
});

test('e2e: a message sent to an idle queue reaches a waiting long-poll consumer in milliseconds', async () => {
  let arrived = 0;
  const { consumer } = await recordingConsumer(
    { nameServer: fixture.nameServer, group: 'idle-group', subscriptions: { idle: '*' } },
    () => {
      arrived = performance.now();
    },
  );
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'idle-producer' });
  await producer.start();
  try {
    await waitFor(
      'the consumer to own the queues',
      10_000,
      () => consumer.assignment().filter((q) => q.topic === 'idle').length === 4,
    );
    // No client-side signal says a pull is parked at the broker; giving them a moment makes
    // the test stricter (the message must wake a held pull), never weaker.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      arrived = 0;
      const sent = performance.now();
      await producer.send({ topic: 'idle', body: `ping-${i}` });
      await waitFor('the message to arrive', 5_000, () => arrived > 0);
      latencies.push(arrived - sent);
    }
    console.log(`  long poll latencies ms: ${latencies.map((l) => l.toFixed(1)).join(' ')}`);
    assert.ok(Math.max(...latencies) < 1000, 'a held pull was answered at its timeout, not at arrival');
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('e2e: broadcasting delivers every message to every member', async () => {
  const options = {
    nameServer: fixture.nameServer,
    group: 'broadcast-group',
    subscriptions: { broadcast: '*' },
    messageModel: 'broadcasting' as const,
    consumeFrom: 'first' as const,
  };
  const members = await Promise.all([recordingConsumer(options), recordingConsumer(options)]);
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'broadcast-producer' });
  await producer.start();
  try {
    await Promise.all(Array.from({ length: 200 }, (_, i) => producer.send({ topic: 'broadcast', body: `b-${i}` })));
    await waitFor('both members to get all 200', 15_000, () =>
      members.every((m) => new Set(m.received.map(idOf)).size === 200),
    );
  } finally {
    await producer.shutdown();
    await Promise.all(members.map((m) => m.consumer.shutdown()));
  }
});

test('e2e: a tag subscription receives exactly the messages with those tags', async () => {
  const { consumer, received } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: 'tag-group',
    subscriptions: { tagged: 'paid || refunded' },
    consumeFrom: 'first',
    commitIntervalMs: 100,
  });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'tag-producer' });
  await producer.start();
  try {
    const tags = ['paid', 'created', 'refunded', 'shipped'];
    await Promise.all(
      Array.from({ length: 400 }, (_, i) => producer.send({ topic: 'tagged', body: `t-${i}`, tags: tags[i % 4]! })),
    );
    await waitFor('200 matching messages', 15_000, () => received.length >= 200);
    // Once the group's committed offsets reach the end of the topic, every message was seen.
    await pollUntil('the group to commit past every message', 15_000, async () => {
      const progress = await fixture.admin.groupProgress('tag-group', 'tagged');
      return progress.queues.length === 2 && progress.totalLag === 0 ? true : undefined;
    });
    assert.equal(received.length, 200);
    assert.ok(received.every((m) => m.tags === 'paid' || m.tags === 'refunded'));
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test.run();
