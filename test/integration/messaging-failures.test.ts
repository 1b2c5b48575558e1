// Clients through broker and name server failures: a broker killed with SIGKILL mid-stream and
// restarted loses no acknowledged message under sync flush and consumers resume from their
// committed offsets; with two name servers and one of them down, clients keep working.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Admin, Producer, type ReceivedMessage } from '../../client/index.js';
import { startBrokerProcess, startNameServerProcess, stopAll } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const bodyOf = (message: ReceivedMessage): string => message.body.toString('utf8');

/** Sends `body` until a broker acknowledges it, riding out a broker that is down. */
async function sendUntilAcked(producer: Producer, topic: string, body: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      await producer.send({ topic, body });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

test('failures: a broker SIGKILLed mid-stream and restarted keeps every acknowledged message (sync flush) and consumers resume', async () => {
  const random = seededRandom('failures-broker-kill');
  const directory = temporaryDirectory('failures-kill');
  const nameServer = await startNameServerProcess({ label: 'namesrv' });
  const broker = await startBrokerProcess({
    dataDirectory: directory.path,
    flush: 'sync',
    nameServer: 'none',
    nameServers: [nameServer.address],
  });
  const admin = new Admin({ nameServer: nameServer.address });
  const producer = new Producer({ nameServer: nameServer.address, group: 'kill-producer' });
  let consumer: Awaited<ReturnType<typeof recordingConsumer>> | undefined;
  try {
    await admin.createTopic('survivor', { queues: 4 });
    await pollUntil('the topic route', 10_000, async () =>
      (await admin.listTopics()).includes('survivor') ? true : undefined,
    );
    consumer = await recordingConsumer({
      nameServer: nameServer.address,
      group: 'kill-group',
      subscriptions: { survivor: '*' },
      consumeFrom: 'first',
      commitIntervalMs: 200,
    });
    await producer.start();
    const total = 3000;
    const killAt = random.between(500, 2000);
    const acked: string[] = [];
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < total; i += 50) {
      if (i >= killAt && i < killAt + 50) {
        await broker.kill();
        await broker.restart();
      }
      const window = Array.from({ length: 50 }, (_, j) => `k-${i + j}`);
      await Promise.all(
        window.map((body) => sendUntilAcked(producer, 'survivor', body, deadline).then(() => acked.push(body))),
      );
    }
    const received = consumer.received;
    await waitFor(
      'every acknowledged message consumed',
      60_000,
      () => new Set(received.map(bodyOf)).size >= acked.length,
    );
    const seen = new Set(received.map(bodyOf));
    assert.ok(
      acked.every((body) => seen.has(body)),
      'an acknowledged message was lost',
    );
    const redelivered = received.length - seen.size;
    console.log(`  broker kill after ${killAt} sends: ${acked.length} acknowledged, ${redelivered} redelivered`);
    assert.ok(
      redelivered <= 1000,
      `${redelivered} redeliveries: consumers did not resume near their committed offsets`,
    );
  } finally {
    await consumer?.consumer.shutdown();
    await producer.shutdown();
    await admin.close();
    await stopAll([broker, nameServer]);
    directory.remove();
  }
});

test('failures: with two name servers and one down, producers and consumers keep working', async () => {
  const directory = temporaryDirectory('failures-namesrv');
  const first = await startNameServerProcess({ label: 'namesrv-1' });
  const second = await startNameServerProcess({ label: 'namesrv-2' });
  const broker = await startBrokerProcess({
    dataDirectory: directory.path,
    nameServer: 'none',
    nameServers: [first.address, second.address],
  });
  const nameServer = `${first.address};${second.address}`;
  const admin = new Admin({ nameServer });
  const producer = new Producer({ nameServer, group: 'two-ns-producer' });
  let consumer: Awaited<ReturnType<typeof recordingConsumer>> | undefined;
  try {
    await admin.createTopic('resilient', { queues: 2 });
    const routedBy = async (address: string): Promise<boolean> => {
      const probe = new Admin({ nameServer: address });
      try {
        return (await probe.listTopics()).includes('resilient');
      } finally {
        await probe.close();
      }
    };
    await pollUntil('both name servers route the topic', 10_000, async () =>
      (await routedBy(first.address)) && (await routedBy(second.address)) ? true : undefined,
    );
    await first.stop();
    await producer.start();
    consumer = await recordingConsumer({
      nameServer,
      group: 'two-ns-group',
      subscriptions: { resilient: '*' },
      consumeFrom: 'first',
    });
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send({ topic: 'resilient', body: `r-${i}` })));
    await waitFor(
      '100 messages through the surviving name server',
      20_000,
      () => new Set(consumer!.received.map(bodyOf)).size === 100,
    );
  } finally {
    await consumer?.consumer.shutdown();
    await producer.shutdown();
    await admin.close();
    await stopAll([broker, first, second]);
    directory.remove();
  }
});

test.run();
