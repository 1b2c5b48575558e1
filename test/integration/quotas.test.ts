// Rate limit quotas with a real broker process: a producer sending far faster than its topic's
// quota is paced to the quota (measured rate within a tolerance), honouring the broker's
// retry-after hint, with nothing lost; a quota changed at run time takes effect at once; a
// group's pull quota refuses pulls past it with SYSTEM_BUSY and a hint; quotas survive a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { Producer, type ReceivedMessage } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { RETRY_AFTER_FIELD } from '../../protocol/retry-after-field.js';
import { recordingConsumer, startMessaging, waitFor } from '../support/messaging-fixture.js';

/** Measured rate must be within this fraction of the quota (timers and the first burst). */
const RATE_TOLERANCE = 0.3;
const WAIT_MS = 30_000;

/** Sends `count` messages at once (all concurrent); resolves with the messages per second achieved. */
async function sendAll(producer: Producer, topic: string, count: number, tag: string): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic, body: `${tag}-${i}` })));
  return count / ((performance.now() - started) / 1000);
}

function assertNear(measured: number, quota: number, what: string): void {
  console.log(`quotas: ${what}: measured ${measured.toFixed(0)} messages/s`);
  assert.ok(
    measured >= quota * (1 - RATE_TOLERANCE) && measured <= quota * (1 + RATE_TOLERANCE),
    `${what}: ${measured.toFixed(0)}/s against a quota of ${quota}/s`,
  );
}

test('a topic quota paces a flooding producer to the quota, with retry-after honoured and nothing lost; a change takes effect at run time', async () => {
  const fixture = await startMessaging('quotas-topic', { topics: { flood: 4 } });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'flood-producer' });
  const received: ReceivedMessage[] = [];
  const { consumer } = await recordingConsumer(
    { nameServer: fixture.nameServer, group: 'flood-group', subscriptions: { flood: '*' } },
    (message) => void received.push(message),
  );
  try {
    await producer.start();
    await fixture.admin.setQuota({ scope: 'topic', name: 'flood', messagesPerS: 200 });
    assertNear(await sendAll(producer, 'flood', 500, 'slow'), 200, 'at 200/s');
    await fixture.admin.setQuota({ scope: 'topic', name: 'flood', messagesPerS: 1000 });
    assertNear(await sendAll(producer, 'flood', 2000, 'fast'), 1000, 'raised to 1000/s at run time');
    await waitFor(
      'every message consumed',
      WAIT_MS,
      () => new Set(received.map((m) => m.body.toString())).size === 2500,
    );
    const listed = await fixture.admin.quotas();
    assert.equal(listed[0]!.quotas, [{ scope: 'topic', name: 'flood', messagesPerS: 1000 }]);
    // Quotas are logged: a restarted broker still enforces them.
    await fixture.broker.restart();
    assert.equal((await fixture.admin.quotas())[0]!.quotas.length, 1);
    assert.ok(await fixture.admin.deleteQuota('topic', 'flood'));
    assert.equal((await fixture.admin.quotas())[0]!.quotas, []);
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
    await fixture.close();
  }
});

test('a group pull quota refuses pulls past it with SYSTEM_BUSY and a retry-after hint', async () => {
  const fixture = await startMessaging('quotas-pull', { topics: { pulled: 1 } });
  const client = new RemotingClient({});
  try {
    await fixture.admin.setQuota({ scope: 'group', name: 'paced-group', pullsPerS: 10 });
    const pull = (): Promise<{ code: number; extFields?: Record<string, unknown> }> =>
      client.invoke(
        fixture.broker.address,
        {
          code: REQUEST_CODE.PULL_MESSAGE,
          extFields: {
            consumerGroup: 'paced-group',
            topic: 'pulled',
            queueId: '0',
            queueOffset: '0',
            maxMsgNums: '1',
            sysFlag: '0',
          },
        },
        WAIT_MS,
      );
    const answers = await Promise.all(Array.from({ length: 20 }, pull));
    const busy = answers.filter((answer) => answer.code === RESPONSE_CODE.SYSTEM_BUSY);
    // A burst of 100 ms at 10/s is one pull; the rest of the 20 at once are refused.
    assert.ok(busy.length >= 18, `${busy.length} of 20 refused`);
    for (const answer of busy) assert.ok(Number(answer.extFields?.[RETRY_AFTER_FIELD]) > 0, 'no retry-after hint');
    await fixture.admin.deleteQuota('group', 'paced-group');
    assert.not.equal((await pull()).code, RESPONSE_CODE.SYSTEM_BUSY, 'a deleted quota still refuses');
  } finally {
    client.close();
    await fixture.close();
  }
});

test('a quota refuses bad input with a clear error', async () => {
  const fixture = await startMessaging('quotas-bad-input');
  try {
    for (const [quota, pattern] of [
      [{ scope: 'topic', name: 'x', pullsPerS: 1 }, /takes messagesPerS, bytesPerS/],
      [{ scope: 'group', name: 'g' }, /needs pullsPerS/],
      [{ scope: 'planet', name: 'x', messagesPerS: 1 }, /scope must be/],
      [{ scope: 'topic', name: 'x', messagesPerS: -1 }, /must be a number/],
    ] as const) {
      const error = await fixture.admin.setQuota(quota as never).catch((e: unknown) => e);
      assert.match(String((error as Error).message), pattern);
    }
  } finally {
    await fixture.close();
  }
});

test.run();
