// The consumer's pull loop tells bugs from failures: a failure (the broker unreachable, a
// timeout: typed ClientErrors) backs off and pulls again, but a programmer error (a TypeError,
// a failed assertion) is reported through the loop's `failed` hook, which PushConsumer turns
// into onError, and ends the loop: retrying a bug would only repeat it in silence. The loop
// runs here against a scripted client, as a broker cannot be made to raise a TypeError.
import assert from 'node:assert/strict';
import { AssertionError } from 'node:assert';
import { test } from 'uvu';

import type { ClientInstance } from '../../client/client-instance.js';
import { ClientError } from '../../client/index.js';
import type { OffsetStore } from '../../client/consumer/offset-store.js';
import { ProcessQueue } from '../../client/consumer/process-queue.js';
import { QueuePuller } from '../../client/consumer/queue-puller.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';

interface Loop {
  readonly puller: QueuePuller;
  readonly failures: unknown[];
  /** Pull requests the loop made. */
  readonly pulls: () => number;
  /** Route re-reads the loop asked for (a failed pull may mean a failover). */
  readonly routeReads: () => number;
}

/** A pull loop whose every pull fails with what `fail(n)` throws for the n-th pull (from 1). */
function loopFailingWith(fail: (pull: number) => Error, running: (pulls: number) => boolean): Loop {
  let pulls = 0;
  let routeReads = 0;
  const client = {
    route: async (): Promise<undefined> => {
      routeReads++;
      return undefined;
    },
    brokerAddress: () => '127.0.0.1:1',
    brokerReadAddress: () => '127.0.0.1:1',
    invoke: async (): Promise<RemotingCommand> => {
      throw fail(++pulls);
    },
  } as unknown as ClientInstance;
  const offsets = { local: () => undefined, update: () => undefined } as unknown as OffsetStore;
  const pq = new ProcessQueue({ topic: 'T', brokerName: 'b', queueId: 0 }, 0);
  const failures: unknown[] = [];
  const settings = { group: 'g', batchSize: 32, prefetchCount: 1000, prefetchBytes: 1 << 24, expression: '*' };
  const puller = new QueuePuller(
    client,
    offsets,
    pq,
    { ...settings, accepts: () => true },
    () => assert.fail('nothing is delivered'),
    () => running(pulls),
    {
      undecodable: () => assert.fail('nothing is undecodable'),
      skipped: () => assert.fail('nothing is skipped'),
      failed: (e) => failures.push(e),
    },
  );
  return { puller, failures, pulls: () => pulls, routeReads: () => routeReads };
}

for (const bug of [new TypeError('pq.queue is undefined'), new AssertionError({ message: 'offset went backwards' })]) {
  test(`pull loop: a ${bug.name} in a pull is reported once and ends the loop instead of being retried`, async () => {
    // Retried, the loop would pull a third time (a second apart) before this lets it stop.
    const loop = loopFailingWith(
      () => bug,
      (pulls) => pulls < 3,
    );
    await loop.puller.run();
    assert.deepEqual(loop.failures, [bug]);
    assert.equal(loop.pulls(), 1);
  });
}

test('pull loop: a failure (broker unreachable) re-reads the route, backs off and pulls again, reporting nothing', async () => {
  let stop = false;
  const loop = loopFailingWith(
    (pull) => {
      if (pull === 2) stop = true;
      return new ClientError('BROKER_UNAVAILABLE', '127.0.0.1:1');
    },
    () => !stop,
  );
  const running = loop.puller.run();
  // Cut the back-off short once the first pull has failed (the loop is then asleep).
  while (loop.pulls() < 1) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  loop.puller.interrupt();
  await running;
  assert.equal(loop.pulls(), 2);
  assert.ok(loop.routeReads() >= 1, 'the route is re-read after a failed pull');
  assert.deepEqual(loop.failures, []);
});

test.run();
