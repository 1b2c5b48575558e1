// The whole system under repeated power-cut style failures: two brokers (sync flush) behind one
// name server carry a steady produce-and-consume load while a seeded schedule SIGKILLs one of
// them again and again and restarts it on the same data directory and ports. At the end every
// message a producer saw acknowledged must reach the consumer group at least once, and the
// duplicates must stay within what the kills can explain: sends in flight at a kill (retried,
// possibly stored twice) plus messages consumed but not yet committed when their broker died.
//
// Replay with SEED=<seed>; `npm run test:soak` runs many more cycles.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Admin, Producer, type ReceivedMessage } from '../../client/index.js';
import {
  startBrokerProcess,
  startNameServerProcess,
  stopAll,
  type BrokerProcess,
} from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const KILL_CYCLES = soakScale(30, 300);
const TOPIC = 'crash-load';
const QUEUES_PER_BROKER = 4;
const SENDERS = 8;
/** Load between kills: long enough for traffic on the restarted broker, short for 30 cycles. */
const LOAD_MS_MIN = 60;
const LOAD_MS_MAX = 400;
const COMMIT_INTERVAL_MS = 200;
/** A message consumed from a broker this long before it is killed may not be committed yet. */
const UNCOMMITTED_WINDOW_MS = 2 * COMMIT_INTERVAL_MS + 300;
const REQUEST_TIMEOUT_MS = 2000;
const DRAIN_TIMEOUT_MS = 120_000;
const SEND_PAUSE_MS = 20;

const bodyOf = (message: ReceivedMessage): string => message.body.toString('utf8');

/** Producers that send unique bodies until stopped, each until some broker acknowledges it. */
class SendLoad {
  readonly acknowledged = new Set<string>();
  private next = 0;
  private inFlight = 0;
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(private readonly producer: Producer) {
    this.loops = Array.from({ length: SENDERS }, () => this.loop());
  }

  get pending(): number {
    return this.inFlight;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const body = `m-${this.next++}`;
      this.inFlight++;
      try {
        for (;;) {
          try {
            await this.producer.send({ topic: TOPIC, body });
            this.acknowledged.add(body);
            break;
          } catch {
            // Both brokers briefly unreachable, or a timeout: the same body goes again. It may
            // have been stored already, which is one of the duplicates the bound allows for.
            if (!this.running) break;
            await new Promise((resolve) => setTimeout(resolve, SEND_PAUSE_MS));
          }
        }
      } finally {
        this.inFlight--;
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** Kills and restarts one broker per cycle; returns the duplicates the kills may explain. */
async function runKillCycles(
  random: SeededRandom,
  brokers: readonly BrokerProcess[],
  load: SendLoad,
  consumed: readonly { at: number; storeHost: string }[],
): Promise<{ explainable: number; cycles: number }> {
  let explainable = 0;
  for (let cycle = 0; cycle < KILL_CYCLES; cycle++) {
    const loadMs = random.between(LOAD_MS_MIN, LOAD_MS_MAX);
    await new Promise((resolve) => setTimeout(resolve, loadMs));
    const victim = random.pick(brokers);
    const now = Date.now();
    const since = now - UNCOMMITTED_WINDOW_MS;
    const recentlyConsumed = consumed.filter((c) => c.at >= since && c.storeHost === victim.address).length;
    explainable += load.pending + recentlyConsumed;
    await victim.kill();
    await victim.restart();
  }
  return { explainable, cycles: KILL_CYCLES };
}

test('whole system: brokers SIGKILLed 50 times under load lose no acknowledged message (sync flush), duplicates bounded', async () => {
  const random = seededRandom('whole-system crash');
  const directories = [temporaryDirectory('crash-a'), temporaryDirectory('crash-b')];
  const nameServer = await startNameServerProcess({ label: 'crash-namesrv' });
  const brokers = await Promise.all(
    directories.map((directory, i) =>
      startBrokerProcess({
        dataDirectory: directory.path,
        flush: 'sync',
        nameServer: 'none',
        nameServers: [nameServer.address],
        brokerName: `crash-broker-${i}`,
        label: `crash-broker-${i}`,
      }),
    ),
  );
  const clientOptions = { nameServer: nameServer.address, requestTimeoutMs: REQUEST_TIMEOUT_MS };
  const admin = new Admin(clientOptions);
  const producer = new Producer({ ...clientOptions, group: 'crash-producer' });
  let consumer: Awaited<ReturnType<typeof recordingConsumer>> | undefined;
  try {
    await pollUntil('both brokers registered', 10_000, async () =>
      (await admin.brokerAddresses()).length === brokers.length ? true : undefined,
    );
    await admin.createTopic(TOPIC, { queues: QUEUES_PER_BROKER });
    await pollUntil('both brokers in the route', 10_000, async () => {
      const names = new Set((await admin.topicStatus(TOPIC)).map((queue) => queue.brokerName));
      return names.size === brokers.length ? true : undefined;
    });
    const consumed: { at: number; storeHost: string }[] = [];
    consumer = await recordingConsumer(
      {
        ...clientOptions,
        group: 'crash-group',
        subscriptions: { [TOPIC]: '*' },
        consumeFrom: 'first',
        commitIntervalMs: COMMIT_INTERVAL_MS,
      },
      (message) => void consumed.push({ at: Date.now(), storeHost: message.storeHost }),
    );
    await producer.start();
    const load = new SendLoad(producer);
    const { explainable, cycles } = await runKillCycles(random, brokers, load, consumed);
    await load.stop();
    const received = consumer.received;
    const seen = (): Set<string> => new Set(received.map(bodyOf));
    await waitFor('every acknowledged message consumed', DRAIN_TIMEOUT_MS, () => {
      const bodies = seen();
      for (const body of load.acknowledged) if (!bodies.has(body)) return false;
      return true;
    });
    const bodies = seen();
    const lost = [...load.acknowledged].filter((body) => !bodies.has(body));
    const duplicates = received.length - bodies.size;
    console.log(
      `  whole-system crash: ${cycles} SIGKILL cycles, ${load.acknowledged.size} acknowledged, ` +
        `${received.length} deliveries, lost ${lost.length}, duplicates ${duplicates} (bound ${explainable})`,
    );
    assert.deepEqual(lost, [], 'acknowledged messages were lost');
    assert.ok(load.acknowledged.size > cycles * SENDERS, 'the load kept flowing through the kills');
    assert.ok(duplicates <= explainable, `${duplicates} duplicates, more than the ${explainable} the kills explain`);
  } finally {
    await consumer?.consumer.shutdown();
    await producer.shutdown();
    await admin.close();
    await stopAll([...brokers, nameServer]);
    for (const directory of directories) directory.remove();
  }
});

test.run();
