// A consumer's messages() loop must end promptly on shutdown. A message the loop holds is done
// only when the loop asks for the next one; shutdown used to wait for it (10 s, the release
// wait), which is forever when the loop itself awaits the shutdown, and 10 s for
// `tributary consume --count N`, which asks once more and shuts down. Now the held message is
// let go unprocessed: uncommitted, so the group's next run gets it again.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Producer, PushConsumer } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { queryConsumerOffset } from '../support/broker-requests.js';
import { startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';

const TOPIC = 'held';
const MESSAGES = 6;
/** Shutdown used to take the 10 s release wait here; the tests allow this much. */
const PROMPT_SHUTDOWN_MS = 3000;

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('consumer-shutdown', { topics: { [TOPIC]: 1 } });
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'held-producer' });
  await producer.start();
  try {
    for (let i = 0; i < MESSAGES; i++) await producer.send({ topic: TOPIC, body: `m-${i}` });
  } finally {
    await producer.shutdown();
  }
});

test.after(async () => {
  await fixture.close();
});

const consumer = (group: string): PushConsumer =>
  new PushConsumer({ nameServer: fixture.nameServer, group, subscriptions: { [TOPIC]: '*' }, consumeFrom: 'first' });

async function committedOffset(group: string): Promise<number | undefined> {
  const raw = new RemotingClient({ serializeType: SERIALIZE_TYPE.msgpack });
  try {
    return await queryConsumerOffset(raw, fixture.broker.address, group, TOPIC, 0);
  } finally {
    raw.close();
  }
}

/** Resolves with how long `work` took, failing past the prompt bound instead of waiting it out. */
async function promptly(what: string, work: Promise<unknown>): Promise<number> {
  const started = Date.now();
  let done = false;
  void work.finally(() => (done = true));
  await waitFor(what, PROMPT_SHUTDOWN_MS, () => done);
  await work;
  return Date.now() - started;
}

test('shutdown awaited inside a messages() loop ends promptly, and the held message stays uncommitted', async () => {
  const group = 'held-inside-loop';
  const subject = consumer(group);
  const bodies: string[] = [];
  for await (const message of subject.messages()) {
    bodies.push(message.body.toString('utf8'));
    if (bodies.length === 2) {
      const ms = await promptly('shutdown from inside the loop', subject.shutdown());
      console.log(`  shutdown inside the loop: ${ms} ms`);
    }
  }
  assert.deepEqual(bodies, ['m-0', 'm-1'], 'the loop ended after the shutdown');
  assert.equal(await committedOffset(group), 1, 'm-0 is done; m-1, held at shutdown, is not');
});

test('shutdown with a next() pending over a fetched message resolves it promptly, as `consume --count` does', async () => {
  const group = 'held-pending-next';
  const subject = consumer(group);
  const messages = subject.messages();
  assert.equal((await messages.next()).value?.body.toString('utf8'), 'm-0');
  const pending = messages.next(); // m-0 done; m-1 is fetched and held
  const ms = await promptly('shutdown with a pending next()', subject.shutdown());
  console.log(`  shutdown with a pending next(): ${ms} ms`);
  await promptly('the pending next()', pending);
  assert.equal((await messages.next()).done, true);
  assert.equal(await committedOffset(group), 1);
});

test.run();
