// The client's pure mechanics: queue allocation, send coalescing, committable offsets, tag
// subscriptions, and the fault tolerance that steers sends away from failing brokers.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { busyRetryDelayMs } from '../../client/producer/busy-backoff.js';
import { BUSY_RETRY_MAX_MS } from '../../client/client-constants.js';
import { BUSY_RETRY_BASE_MS } from '../../client/client-constants.js';
import { LatencyFaultTolerance } from '../../client/producer/latency-fault-tolerance.js';
import { ProcessQueue } from '../../client/consumer/process-queue.js';
import { allocateAveragely } from '../../client/consumer/queue-allocation.js';
import type { ReceivedMessage } from '../../protocol/message-decoder.js';
import { SendCoalescer } from '../../client/producer/send-coalescer.js';
import { SubscriptionSet } from '../../client/consumer/subscription-set.js';
import type { MessageQueue } from '../../client/topic-route.js';
import { seededRandom } from '../support/seeded-random.js';

const queues = (count: number): MessageQueue[] =>
  Array.from({ length: count }, (_, queueId) => ({ topic: 'orders', brokerName: 'broker-a', queueId }));

test('busy-backoff: SYSTEM_BUSY retries wait longer each time, jittered within half to all of the doubling, capped', () => {
  const random = seededRandom('busy-backoff');
  const RETRIES = 12;
  const ROUNDS = 200;
  const means: number[] = [];
  for (let retry = 1; retry <= RETRIES; retry++) {
    const ceiling = Math.min(BUSY_RETRY_MAX_MS, BUSY_RETRY_BASE_MS * 2 ** (retry - 1));
    const delays = Array.from({ length: ROUNDS }, () => busyRetryDelayMs(retry, () => random.next()));
    for (const ms of delays)
      assert.ok(ms >= ceiling / 2 && ms <= ceiling, `retry ${retry}: ${ms} ms outside [${ceiling / 2}, ${ceiling}]`);
    assert.ok(new Set(delays).size > ROUNDS / 2, `retry ${retry}: delays are jittered, not one value`);
    means.push(delays.reduce((sum, ms) => sum + ms, 0) / ROUNDS);
  }
  for (let retry = 1; retry < RETRIES; retry++) {
    const capped = BUSY_RETRY_BASE_MS * 2 ** retry >= BUSY_RETRY_MAX_MS;
    if (!capped) assert.ok(means[retry]! > means[retry - 1]!, `retry ${retry + 1} waits longer than retry ${retry}`);
  }
  assert.ok(busyRetryDelayMs(1, () => 0) >= BUSY_RETRY_BASE_MS / 2, 'even the first retry pauses');
  assert.ok(busyRetryDelayMs(RETRIES, () => 0.999_999) <= BUSY_RETRY_MAX_MS);
});

test('queue-allocation: 8 queues over 3 clients split 3/3/2 in contiguous runs (RocketMQ averaging)', () => {
  const clients = ['c', 'a', 'b'];
  const ids = clients.map((id) => allocateAveragely(queues(8), clients, id).map((q) => q.queueId));
  assert.deepEqual(ids, [
    [6, 7],
    [0, 1, 2],
    [3, 4, 5],
  ]);
});

test('queue-allocation: every queue has exactly one owner for any seeded membership', () => {
  const random = seededRandom('queue-allocation');
  for (let round = 0; round < 200; round++) {
    const queueCount = random.between(1, 40);
    const clients = Array.from({ length: random.between(1, 12) }, (_, i) => `client-${i}-${random.int(1000)}`);
    const owners = new Map<number, number>();
    for (const client of clients) {
      for (const queue of allocateAveragely(queues(queueCount), clients, client))
        owners.set(queue.queueId, (owners.get(queue.queueId) ?? 0) + 1);
    }
    assert.equal(owners.size, queueCount);
    assert.ok([...owners.values()].every((count) => count === 1));
  }
});

/** A coalescer whose requests wait for release(); each request is recorded with its lane's messages. */
function heldCoalescer(plainRequestsInFlight: number): {
  coalescer: SendCoalescer<string, number, number>;
  requests: number[][];
  release: (index: number, error?: Error) => void;
} {
  const requests: number[][] = [];
  const settle: ((error?: Error) => void)[] = [];
  const coalescer = new SendCoalescer<string, number, number>(
    (queue) => queue,
    (_queue, messages) => {
      requests.push(messages);
      return new Promise((resolve, reject) =>
        settle.push((error) => (error === undefined ? resolve(messages.map((m) => m * 10)) : reject(error))),
      );
    },
    { maxBatchCount: 100, maxBatchBytes: 100_000, plainRequestsInFlight },
  );
  return { coalescer, requests, release: (index, error) => settle[index]!(error) };
}

const turnEnds = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("send-coalescer: one turn's sends share one request; sends arriving while it is in flight share the next", async () => {
  const requests: number[][] = [];
  const releases: (() => void)[] = [];
  const coalescer = new SendCoalescer<string, number, number>(
    (queue) => queue,
    (_queue, messages) => {
      requests.push(messages);
      return new Promise((resolve) => releases.push(() => resolve(messages.map((m) => m * 10))));
    },
    { maxBatchCount: 3, maxBatchBytes: 1000, plainRequestsInFlight: 1 },
  );
  const first = coalescer.submit('q', 1, 10, true);
  assert.deepEqual(requests, [], 'the request waits for the rest of the turn');
  await turnEnds();
  assert.deepEqual(requests, [[1]]);
  const rest = [2, 3, 4, 5].map((m) => coalescer.submit('q', m, 10, true));
  await turnEnds();
  assert.deepEqual(requests, [[1]], 'one request in flight');
  releases.shift()!();
  assert.equal(await first, 10);
  await turnEnds();
  assert.deepEqual(requests, [[1], [2, 3, 4]]);
  releases.shift()!();
  await turnEnds();
  releases.shift()!();
  assert.deepEqual(await Promise.all(rest), [20, 30, 40, 50]);
  assert.deepEqual(requests, [[1], [2, 3, 4], [5]]);
});

test('send-coalescer: an unbatchable send goes alone and keeps its place in the order', async () => {
  const requests: number[][] = [];
  const coalescer = new SendCoalescer<string, number, number>(
    (q) => q,
    async (_q, messages) => {
      requests.push(messages);
      return messages;
    },
    { maxBatchCount: 10, maxBatchBytes: 1000, plainRequestsInFlight: 1 },
  );
  await Promise.all([
    coalescer.submit('q', 1, 1, true),
    coalescer.submit('q', 2, 1, true),
    coalescer.submit('q', 3, 1, false),
    coalescer.submit('q', 4, 1, true),
  ]);
  assert.deepEqual(requests, [[1, 2], [3], [4]]);
});

test('send-coalescer: plain sends keep two requests in flight per queue, ordered sends to the same queue one', async () => {
  const { coalescer, requests, release } = heldCoalescer(2);
  const turn = async (messages: number[], ordered = false): Promise<Promise<number>[]> => {
    const sent = messages.map((m) => coalescer.submit('q', m, 10, true, ordered));
    await turnEnds();
    return sent;
  };
  const sent = [...(await turn([1, 2])), ...(await turn([101], true))];
  sent.push(...(await turn([3, 4])), ...(await turn([102], true)));
  assert.deepEqual(requests, [[1, 2], [101], [3, 4]], 'a second plain request, no second ordered one');
  sent.push(...(await turn([5])));
  assert.equal(requests.length, 3, 'a third plain request waits for a free slot');
  release(0);
  await turnEnds();
  assert.deepEqual(requests[3], [5]);
  release(1);
  await turnEnds();
  assert.deepEqual(requests[4], [102]);
  for (const index of [2, 3, 4]) release(index);
  assert.deepEqual(await Promise.all(sent), [10, 20, 1010, 30, 40, 1020, 50]);
});

test("send-coalescer: an ordered lane waits for a failed request's retries, one after another, before its next request", async () => {
  const { coalescer, requests, release } = heldCoalescer(2);
  const retried: number[] = [];
  const retryReleases: (() => void)[] = [];
  const outcomes: number[] = [];
  const send = (m: number): void =>
    coalescer.enqueue('q', {
      message: m,
      bytes: 10,
      batchable: true,
      ordered: true,
      resolve: (result) => outcomes.push(result),
      // A retry that goes to the broker directly and takes until retryReleases[i]() to land.
      reject: () =>
        new Promise<void>((resolve) => {
          retried.push(m);
          retryReleases.push(() => {
            outcomes.push(m * 10);
            resolve();
          });
        }),
    });
  send(1);
  await turnEnds();
  send(2);
  send(3);
  await turnEnds();
  assert.deepEqual(requests, [[1]]);
  release(0, new Error('broker busy'));
  await turnEnds();
  send(4);
  await turnEnds();
  assert.deepEqual(retried, [1], 'one failed send retries at a time');
  assert.equal(requests.length, 1, 'no later ordered send goes before the retry lands');
  retryReleases[0]!();
  await turnEnds();
  assert.deepEqual(requests, [[1], [2, 3, 4]]);
  release(1);
  await turnEnds();
  assert.deepEqual(outcomes, [10, 20, 30, 40], 'stored in the order sent, the retried one first');
});

function message(queueOffset: number): ReceivedMessage {
  return { queueOffset, body: Buffer.alloc(10) } as unknown as ReceivedMessage;
}

test('process-queue: the committable offset is the smallest unfinished one, or the next pull offset', () => {
  const pq = new ProcessQueue({ topic: 't', brokerName: 'b', queueId: 0 }, 0);
  const batch = [0, 1, 2, 3].map(message);
  pq.add(batch);
  pq.nextPullOffset = 4;
  assert.equal(pq.remove(batch[2]!), 0);
  assert.equal(pq.remove(batch[0]!), 1);
  assert.equal(pq.remove(batch[1]!), 3);
  assert.equal(pq.remove(batch[3]!), 4);
  assert.equal(pq.bytes, 0);
});

test('subscription-set: tags are checked locally; "*" and empty take everything', () => {
  const set = new SubscriptionSet({ orders: 'paid || refunded', audit: '*', logs: '' }, '%RETRY%g');
  assert.ok(set.accepts('orders', { tags: 'paid' }));
  assert.ok(!set.accepts('orders', { tags: 'created' }));
  assert.ok(!set.accepts('orders', { tags: undefined }));
  assert.ok(set.accepts('audit', { tags: undefined }));
  assert.ok(set.accepts('logs', { tags: 'x' }));
  assert.deepEqual(set.topics, ['orders', 'audit', 'logs', '%RETRY%g']);
  // A pull loop's check: none for a topic that takes everything, the same verdicts otherwise.
  assert.equal(set.tagCheck('audit'), undefined);
  assert.equal(set.tagCheck('%RETRY%g'), undefined);
  const orders = set.tagCheck('orders')!;
  assert.ok(orders({ tags: 'refunded' }));
  assert.ok(!orders({ tags: 'created' }));
  assert.ok(!orders({ tags: undefined }));
});

test('latency-fault-tolerance: a failed or slow broker is skipped for a while, then used again', () => {
  let now = 1000;
  const faults = new LatencyFaultTolerance(() => now);
  faults.record('a', 10);
  assert.ok(faults.isAvailable('a'));
  faults.record('a', 10_000);
  assert.ok(!faults.isAvailable('a'));
  now += 30_000;
  assert.ok(faults.isAvailable('a'));
});

test.run();
