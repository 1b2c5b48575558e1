// The consumer's orderly dispatch and de-duplication, without a broker: serial per queue and
// parallel across queues, retry in place, dead letters, lock expiry, the iterator mode, and the
// bounded window of processed ids.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { DeduplicationWindow } from '../../client/consumer/deduplication-window.js';
import { MessageDeduplicator } from '../../client/consumer/message-deduplicator.js';
import { OrderlyDispatcher, type OrderlyHooks } from '../../client/consumer/orderly-dispatcher.js';
import { ProcessQueue } from '../../client/consumer/process-queue.js';
import type { ReceivedMessage } from '../../protocol/message-decoder.js';

function message(queueId: number, queueOffset: number, msgId = `id-${queueId}-${queueOffset}`): ReceivedMessage {
  return {
    topic: 'orders',
    queueId,
    queueOffset,
    msgId,
    reconsumeTimes: 0,
    body: Buffer.from(`${queueId}:${queueOffset}`),
    properties: {},
  } as unknown as ReceivedMessage;
}

/** A queue holding messages at offsets [0, count). */
function queueWith(queueId: number, count: number): { pq: ProcessQueue; messages: ReceivedMessage[] } {
  const pq = new ProcessQueue({ topic: 'orders', brokerName: 'broker-a', queueId }, count);
  const messages = Array.from({ length: count }, (_, offset) => message(queueId, offset));
  pq.add(messages);
  return { pq, messages };
}

function recordingHooks(deadLetter: OrderlyHooks['deadLetter'] = async () => undefined) {
  const processed: string[] = [];
  const hooks: OrderlyHooks = {
    processed: (pq, m) => {
      pq.remove(m);
      processed.push(`${m.queueId}:${m.queueOffset}`);
    },
    deadLetter,
    handlerFailed: () => undefined,
  };
  return { hooks, processed };
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5000) assert.fail(`timed out waiting for ${what}`);
    await tick(5);
  }
}

test('orderly-dispatcher: one message at a time per queue, queues in parallel up to concurrency (queues=4, concurrency=2)', async () => {
  const { hooks, processed } = recordingHooks();
  const dispatcher = new OrderlyDispatcher({ concurrency: 2, suspendMs: 10, maxReconsumeTimes: 16 }, hooks);
  const runningPerQueue = new Map<number, number>();
  let running = 0;
  let maxRunning = 0;
  const order = new Map<number, number[]>();
  dispatcher.useHandler(async (m) => {
    assert.equal(runningPerQueue.get(m.queueId) ?? 0, 0, `queue ${m.queueId} ran two messages at once`);
    runningPerQueue.set(m.queueId, 1);
    maxRunning = Math.max(maxRunning, ++running);
    order.set(m.queueId, [...(order.get(m.queueId) ?? []), m.queueOffset]);
    await tick(1);
    running--;
    runningPerQueue.set(m.queueId, 0);
  });
  const queues = [0, 1, 2, 3].map((queueId) => queueWith(queueId, 10));
  for (const { pq, messages } of queues) dispatcher.deliver(pq, messages);
  await until('40 processed', () => processed.length === 40);
  assert.equal(maxRunning, 2);
  for (const [queueId, offsets] of order) assert.deepEqual(offsets, [...Array(10).keys()], `queue ${queueId}`);
  assert.ok(queues.every(({ pq }) => pq.committableOffset() === 10 && pq.running === 0));
});

test('orderly-dispatcher: a failure suspends the queue and retries the same message; other queues go on (suspendMs=50)', async () => {
  const { hooks, processed } = recordingHooks();
  const dispatcher = new OrderlyDispatcher({ concurrency: 4, suspendMs: 50, maxReconsumeTimes: 16 }, hooks);
  const seen: string[] = [];
  let failed = false;
  dispatcher.useHandler(async (m) => {
    seen.push(`${m.queueId}:${m.queueOffset}/${m.reconsumeTimes}`);
    if (m.queueId === 0 && m.queueOffset === 1 && !failed) {
      failed = true;
      throw new Error('once');
    }
    return undefined;
  });
  const q0 = queueWith(0, 3);
  const q1 = queueWith(1, 3);
  dispatcher.deliver(q0.pq, q0.messages);
  dispatcher.deliver(q1.pq, q1.messages);
  await until('queue 1 done', () => processed.filter((p) => p.startsWith('1:')).length === 3);
  assert.ok(!processed.includes('0:2'), 'queue 0 did not skip ahead during its suspension');
  assert.equal(q0.pq.committableOffset(), 1, 'the failed message holds the committable offset');
  await until('queue 0 done', () => processed.filter((p) => p.startsWith('0:')).length === 3);
  assert.deepEqual(
    seen.filter((s) => s.startsWith('0:')),
    ['0:0/0', '0:1/0', '0:1/1', '0:2/0'],
  );
});

test('orderly-dispatcher: past maxReconsumeTimes a message is dead-lettered, retried if that fails, then passed (max=1)', async () => {
  let deadLetterCalls = 0;
  const { hooks, processed } = recordingHooks(async () => {
    if (++deadLetterCalls === 1) throw new Error('broker unreachable');
  });
  const dispatcher = new OrderlyDispatcher({ concurrency: 1, suspendMs: 5, maxReconsumeTimes: 1 }, hooks);
  const attempts: number[] = [];
  dispatcher.useHandler(async (m) => {
    if (m.queueOffset !== 0) return undefined;
    attempts.push(m.reconsumeTimes);
    return 'retry';
  });
  const { pq, messages } = queueWith(0, 2);
  dispatcher.deliver(pq, messages);
  await until('both processed', () => processed.length === 2);
  assert.deepEqual(attempts, [0, 1], 'the handler ran 1 + maxReconsumeTimes times');
  assert.equal(deadLetterCalls, 2, 'the failed dead-letter send was tried again, not skipped');
  assert.deepEqual(processed, ['0:0', '0:1']);
});

test('orderly-dispatcher: a queue whose lock expired client-side is not consumed', async () => {
  const { hooks, processed } = recordingHooks();
  const dispatcher = new OrderlyDispatcher({ concurrency: 4, suspendMs: 5, maxReconsumeTimes: 16 }, hooks);
  dispatcher.useHandler(async () => undefined);
  const locked = queueWith(0, 2);
  const expired = queueWith(1, 2);
  expired.pq.lockedUntilMs = Date.now() - 1;
  dispatcher.deliver(expired.pq, expired.messages);
  dispatcher.deliver(locked.pq, locked.messages);
  await until('the locked queue', () => processed.length === 2);
  await tick(20);
  assert.deepEqual(processed, ['0:0', '0:1']);
});

test('orderly-dispatcher: the iterator mode hands out messages one at a time, each queue in order', async () => {
  const { hooks, processed } = recordingHooks();
  const dispatcher = new OrderlyDispatcher({ concurrency: 4, suspendMs: 5, maxReconsumeTimes: 16 }, hooks);
  const queues = [queueWith(0, 5), queueWith(1, 5)];
  for (const { pq, messages } of queues) dispatcher.deliver(pq, messages);
  const got: string[] = [];
  for await (const m of dispatcher.messages()) {
    assert.equal(processed.length, got.length, 'the previous message is done before the next comes');
    got.push(`${m.queueId}:${m.queueOffset}`);
    if (got.length === 10) break;
  }
  for (const queueId of [0, 1])
    assert.deepEqual(
      got.filter((g) => g.startsWith(`${queueId}:`)),
      [0, 1, 2, 3, 4].map((offset) => `${queueId}:${offset}`),
    );
  assert.equal(processed.length, 9, 'the message the loop broke on is not done');
  assert.ok(queues.every(({ pq }) => pq.running === 0));
});

test('deduplication-window: ids expire after windowMs and at most maxEntries are kept (window=1000ms, max=3)', () => {
  const clock = { now: 0 };
  const window = new DeduplicationWindow(1000, 3, () => clock.now);
  window.remember('a');
  clock.now = 500;
  window.remember('b');
  assert.ok(window.seen('a'));
  clock.now = 1000;
  assert.equal(window.seen('a'), false, 'a expired');
  assert.ok(window.seen('b'));
  for (const id of ['c', 'd', 'e']) window.remember(id);
  assert.equal(window.size, 3);
  assert.equal(window.seen('b'), false, 'the oldest went first');
  assert.ok(['c', 'd', 'e'].every((id) => window.seen(id)));
});

test('message-deduplicator: a success is remembered, a failure is not, and concurrent duplicates run once', async () => {
  const deduplicator = new MessageDeduplicator(new DeduplicationWindow(), () => undefined);
  let calls = 0;
  let fail = true;
  const handler = deduplicator.wrap(async () => {
    calls++;
    await tick(5);
    if (fail) {
      fail = false;
      return 'retry';
    }
    return undefined;
  });
  const m = message(0, 0, 'same-id');
  assert.equal(await handler(m), 'retry');
  const results = await Promise.all([handler(m), handler(message(1, 7, 'same-id'))]);
  assert.equal(calls, 2, 'the failed attempt and one of the concurrent duplicates');
  assert.deepEqual(results, [undefined, 'success']);
  assert.equal(deduplicator.skipped, 1);
});

test('message-deduplicator: with a synchronous store a message is done in the turn its handler is (no pull leaves in between)', async () => {
  const window = new DeduplicationWindow();
  const deduplicator = new MessageDeduplicator(window, () => undefined);
  const own = Promise.resolve(undefined);
  const wrapped = deduplicator.wrap(() => own);
  const m = message(0, 0, 'sync-id');
  assert.equal(wrapped(m), own, "the handler's own promise: settling it adds no turn");
  // A reaction registered after the wrapper's (as the dispatcher's is) already sees the id remembered.
  const rememberedWhenSettled = await own.then(() => window.seen('sync-id'));
  assert.equal(rememberedWhenSettled, true);
  assert.equal(wrapped(m), 'success', 'a redelivery is skipped synchronously');
  assert.equal(deduplicator.skipped, 1);
});

test.run();
