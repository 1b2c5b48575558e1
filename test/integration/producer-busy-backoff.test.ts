// A producer answered SYSTEM_BUSY backs off before retrying, instead of retrying at once into
// the same overload. A broker allowing one request in flight per connection refuses all but
// one of eight concurrent sends; each refused send must wait at least the first back-off
// (half of BUSY_RETRY_BASE_MS) and then succeed. Retried at once, they came back within a
// couple of milliseconds, or ran out of attempts.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Producer } from '../../client/index.js';
import { BUSY_RETRY_BASE_MS } from '../../client/client-constants.js';
import { startMessaging, type MessagingFixture } from '../support/messaging-fixture.js';

const TOPIC = 'busy';
const CONCURRENT_SENDS = 8;
const ROUNDS = 3;
/** Enough attempts that jittered retries colliding again still get through. */
const RETRIES = 8;

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('busy-backoff', {
    topics: { [TOPIC]: 1 },
    connectionLimits: { maxInFlightPerConnection: 1 },
  });
});

test.after(async () => {
  await fixture.close();
});

test('sends refused SYSTEM_BUSY are retried after a back-off, not at once, and all succeed', async () => {
  const producer = new Producer({
    nameServer: fixture.nameServer,
    group: 'busy-producer',
    batching: false,
    retries: RETRIES,
  });
  await producer.start();
  try {
    await producer.send({ topic: TOPIC, body: 'route and connection ready' });
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      const elapsed = await Promise.all(
        Array.from({ length: CONCURRENT_SENDS }, (_, i) =>
          producer.send({ topic: TOPIC, body: `r${round}-${i}` }).then(() => performance.now() - started),
        ),
      );
      console.log(`  round ${round} send ms: ${elapsed.map((ms) => ms.toFixed(0)).join(' ')}`);
      const backedOff = elapsed.filter((ms) => ms >= BUSY_RETRY_BASE_MS / 2).length;
      assert.ok(backedOff >= CONCURRENT_SENDS / 2, `only ${backedOff} of ${CONCURRENT_SENDS} sends waited a back-off`);
    }
  } finally {
    await producer.shutdown();
  }
});

test.run();
