// A push consumer's per-queue prefetch bounds against a real broker: with a backlog far larger
// than the bounds and a slow handler, a queue never holds more than prefetchCount messages
// pulled and unprocessed, its bytes stay within prefetchBytes plus one pull, and pulling
// resumes as the handler drains the queue until the whole backlog is consumed.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Producer, PushConsumer } from '../../client/index.js';
import { startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { seededRandom } from '../support/seeded-random.js';

const KIB = 1024;
const WAIT_MS = 60_000;

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('prefetch', { topics: { 'prefetch-count': 2, 'prefetch-bytes': 1 } });
});

test.after(async () => {
  await fixture.close();
});

async function produce(topic: string, bodies: readonly Buffer[]): Promise<void> {
  const producer = new Producer({ nameServer: fixture.nameServer, group: `${topic}-producer` });
  await producer.start();
  try {
    const batchCount = 50;
    for (let i = 0; i < bodies.length; i += batchCount)
      await producer.sendBatch(
        topic,
        bodies.slice(i, i + batchCount).map((body) => ({ body })),
      );
  } finally {
    await producer.shutdown();
  }
}

/** The most any queue held at once, sampled as each handler starts; and how many were consumed. */
interface Peaks {
  count: number;
  bytes: number;
  consumed: number;
}

/** Consumes `total` messages with a handler that takes `handlerMs` each, sampling the prefetch. */
async function consumeSlowly(
  options: { topic: string; prefetchCount?: number; prefetchBytes?: number; pullBatchSize: number },
  total: number,
  handlerMs: number,
): Promise<Peaks> {
  const consumer = new PushConsumer({
    nameServer: fixture.nameServer,
    group: `${options.topic}-group`,
    subscriptions: { [options.topic]: '*' },
    consumeFrom: 'first',
    concurrency: 2,
    pullBatchSize: options.pullBatchSize,
    ...(options.prefetchCount === undefined ? {} : { prefetchCount: options.prefetchCount }),
    ...(options.prefetchBytes === undefined ? {} : { prefetchBytes: options.prefetchBytes }),
  });
  const peaks: Peaks = { count: 0, bytes: 0, consumed: 0 };
  await consumer.start(async () => {
    for (const queue of consumer.prefetched()) {
      peaks.count = Math.max(peaks.count, queue.count);
      peaks.bytes = Math.max(peaks.bytes, queue.bytes);
    }
    // A slow handler: the consumer pulls far faster than it processes.
    await new Promise((resolve) => setTimeout(resolve, handlerMs));
    peaks.consumed++;
  });
  try {
    await waitFor(`${total} messages consumed`, WAIT_MS, () => peaks.consumed >= total);
  } finally {
    await consumer.shutdown();
  }
  return peaks;
}

test('consumer prefetch: a slow handler never has more than prefetchCount messages cached per queue, and all 600 are consumed (prefetchCount=40, batch 32)', async () => {
  const total = 600;
  const prefetchCount = 40;
  const pullBatchSize = 32;
  await produce(
    'prefetch-count',
    Array.from({ length: total }, (_, i) => Buffer.from(`m-${i}`)),
  );
  const peaks = await consumeSlowly({ topic: 'prefetch-count', prefetchCount, pullBatchSize }, total, 2);
  console.log(`  [prefetch] most messages cached in one queue: ${peaks.count} (bound ${prefetchCount})`);
  assert.ok(peaks.count <= prefetchCount, `a queue held ${peaks.count} messages`);
  // More than one pull's worth was cached: the bound, not the batch size, is what held it.
  assert.ok(peaks.count > pullBatchSize, `a queue held at most ${peaks.count} messages`);
});

test('consumer prefetch: cached bytes stay within prefetchBytes plus one pull (prefetchBytes=48 KiB, batch 8, seeded 1-8 KiB bodies)', async () => {
  const random = seededRandom('consumer-prefetch-bytes');
  const total = 300;
  const prefetchBytes = 48 * KIB;
  const pullBatchSize = 8;
  const bodyBytesMax = 8 * KIB;
  await produce(
    'prefetch-bytes',
    Array.from({ length: total }, () => Buffer.alloc(random.between(KIB, bodyBytesMax), 1)),
  );
  const peaks = await consumeSlowly({ topic: 'prefetch-bytes', prefetchBytes, pullBatchSize }, total, 2);
  const bound = prefetchBytes + pullBatchSize * bodyBytesMax;
  console.log(`  [prefetch] most body bytes cached in one queue: ${peaks.bytes} (bound ${bound})`);
  assert.ok(peaks.bytes <= bound, `a queue held ${peaks.bytes} bytes (seed ${random.seed})`);
  assert.ok(peaks.bytes >= prefetchBytes / 2, `a queue held at most ${peaks.bytes} bytes (seed ${random.seed})`);
});

test.run();
