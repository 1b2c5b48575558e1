// Plain sends keep two batch requests per queue in flight; ordered sends (a sharding key) keep
// one, and when it fails, its sends' retries land before the next request to that queue goes
// (SendCoalescer). A broker allowing one request in flight per connection refuses every other
// concurrent request SYSTEM_BUSY, so retries are frequent. Before ordered lanes waited for
// their retries, a refused batch was retried behind the batch sent after it: a key's later
// message stored before its earlier one.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Producer, type SendResult } from '../../client/index.js';
import { startMessaging, type MessagingFixture } from '../support/messaging-fixture.js';

const TOPIC = 'pipelined';
const QUEUES = 4;
const KEYS = 6;
const PER_KEY = 40;
const PLAIN = 240;
/** Enough attempts that jittered busy retries colliding again still get through. */
const RETRIES = 40;

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('producer-pipelining', {
    topics: { [TOPIC]: QUEUES },
    connectionLimits: { maxInFlightPerConnection: 1 },
  });
});

test.after(async () => {
  await fixture.close();
});

test('pipelining: under SYSTEM_BUSY refusals and retries, concurrent ordered sends are stored in send order per key, plain sends all once', async () => {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'pipelined-producer', retries: RETRIES });
  await producer.start();
  try {
    await producer.send({ topic: TOPIC, body: 'route and connection ready' });
    const ordered: Promise<SendResult>[][] = Array.from({ length: KEYS }, () => []);
    const plain: Promise<SendResult>[] = [];
    // All at once, interleaved: a key's sends follow each other into its queue's lane while
    // plain sends to the same queues fill theirs.
    for (let seq = 0; seq < PER_KEY; seq++) {
      for (let key = 0; key < KEYS; key++)
        ordered[key]!.push(producer.send({ topic: TOPIC, body: `k${key}:${seq}`, shardingKey: `key-${key}` }));
      for (let i = 0; i < PLAIN / PER_KEY; i++) plain.push(producer.send({ topic: TOPIC, body: `plain-${seq}-${i}` }));
    }
    const plainResults = await Promise.all(plain);
    assert.equal(new Set(plainResults.map((r) => r.msgId)).size, PLAIN, 'each plain send has its own result');
    for (let key = 0; key < KEYS; key++) {
      const results = await Promise.all(ordered[key]!);
      assert.equal(new Set(results.map((r) => `${r.queueId}`)).size, 1, `key ${key} stays in one queue`);
      for (let seq = 1; seq < PER_KEY; seq++)
        assert.ok(
          results[seq]!.queueOffset > results[seq - 1]!.queueOffset,
          `key ${key}: message ${seq} stored at ${results[seq]!.queueOffset}, before message ${seq - 1} at ${results[seq - 1]!.queueOffset}`,
        );
    }
  } finally {
    await producer.shutdown();
  }
});

test.run();
