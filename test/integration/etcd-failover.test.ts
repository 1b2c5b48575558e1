// Controller mode (README "Topologies"): three brokers of one name elect their master through
// a real etcd. The master is SIGKILLed under the load of several producers, cycle after cycle
// on one cluster (the killed broker restarts and rejoins as a replica): no acknowledged message
// is lost or corrupted (SHA-256 of each body), a consumer running throughout continues from
// each new master with bounded duplicates, and each failover is timed from the kill to the
// first send the new master acknowledges.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'uvu';

import { Producer, PushConsumer } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { startNameServerProcess, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { createTopic, pollUntil, queryMessagesByKey } from '../support/broker-requests.js';
import { startManagedBroker, waitForInSync, waitForMaster } from '../support/etcd-broker-set.js';
import { etcdAvailable, startEtcd, type EtcdProcess } from '../support/etcd-process.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CYCLES = Number(process.env.CYCLES ?? soakScale(20, 60));
const BROKERS = 3;
const PRODUCERS = 4;
const TOPIC = 'ManagedFailoverTopic';
const READ_TIMEOUT_MS = 60_000;
/** Clients look up routes this often (default 30 s), so they find each new master soon. */
const ROUTE_REFRESH_MS = 500;
/** A producer whose send failed waits this long before its next one (no master for a moment). */
const FAILED_SEND_PAUSE_MS = 50;

const digest = (body: Buffer): string => crypto.createHash('sha256').update(body).digest('hex');

/** Producers sending until stopped; every acknowledged key with its body's digest and ack time. */
class Load {
  readonly acked = new Map<string, string>();
  /** When each acknowledged send started and was acknowledged. */
  readonly acks: { startedAt: number; ackedAt: number }[] = [];
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly producers: Producer[];
  private sequence = 0;

  constructor(
    nameServer: string,
    private readonly random: SeededRandom,
  ) {
    this.producers = Array.from(
      { length: PRODUCERS },
      (_, i) => new Producer({ nameServer, group: `managed-${i}`, routeRefreshIntervalMs: ROUTE_REFRESH_MS }),
    );
  }

  async start(): Promise<void> {
    await Promise.all(this.producers.map((producer) => producer.start()));
  }

  run(): void {
    this.stopped = false;
    this.running = Promise.all(this.producers.map((producer, p) => this.send(producer, p))).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** When the first send started after `since` was acknowledged, waited for. */
  firstAckOfSendAfter(since: number): Promise<number> {
    return pollUntil(
      'an acknowledged send after the kill',
      READ_TIMEOUT_MS,
      () => this.acks.find((ack) => ack.startedAt > since)?.ackedAt,
    );
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.producers.map((producer) => producer.shutdown().catch(() => undefined)));
  }

  private async send(producer: Producer, p: number): Promise<void> {
    while (!this.stopped) {
      const key = `p${p}-${this.sequence++}`;
      const body = Buffer.concat([Buffer.from(`${key}:`), this.random.bytes(this.random.between(1, 1024))]);
      const startedAt = Date.now();
      const sent = await producer.send({ topic: TOPIC, body, keys: [key] }).then(
        () => true,
        () => false,
      );
      if (sent) {
        this.acked.set(key, digest(body));
        this.acks.push({ startedAt, ackedAt: Date.now() });
      } else await new Promise((resolve) => setTimeout(resolve, FAILED_SEND_PAUSE_MS));
    }
  }
}

test(`etcd failover: SIGKILL of the master under several producers loses no acknowledged message; a consumer continues from each new master (${CYCLES} seeded cycles)`, async () => {
  if (!etcdAvailable()) return;
  const { seed } = seededRandom('etcd failover');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  const directories = Array.from({ length: BROKERS }, (_, i) => temporaryDirectory(`managed-${i + 1}`));
  const brokers: BrokerProcess[] = [];
  let etcd: EtcdProcess | undefined;
  let nameServer: Awaited<ReturnType<typeof startNameServerProcess>> | undefined;
  let consumer: PushConsumer | undefined;
  let load: Load | undefined;
  try {
    etcd = await startEtcd();
    nameServer = await startNameServerProcess();
    const ns = nameServer.address;
    for (let id = 1; id <= BROKERS; id++)
      brokers.push(await startManagedBroker(id, directories[id - 1]!.path, [etcd.endpoint], [ns]));
    let master = await waitForMaster(client, ns);
    await createTopic(client, master, TOPIC, 4);
    await waitForInSync(client, master, BROKERS - 1);
    const read = new Map<string, string>();
    let reads = 0;
    consumer = new PushConsumer({
      nameServer: ns,
      group: 'managed-readers',
      subscriptions: { [TOPIC]: '*' },
      consumeFrom: 'first',
      routeRefreshIntervalMs: ROUTE_REFRESH_MS,
    });
    await consumer.start((message) => {
      reads++;
      read.set(message.keys[0]!, digest(message.body));
    });
    load = new Load(ns, seededRandom('etcd failover load', seed, false));
    await load.start();
    const failoverMs: number[] = [];
    // A killed broker restarts (and rejoins as a replica) while the next cycle runs.
    const restarting = new Map<BrokerProcess, Promise<unknown>>();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const random = seededRandom(`etcd failover cycle ${cycle}`, seed + cycle, false);
      const victim = brokers.find((broker) => broker.address === master)!;
      await restarting.get(victim);
      load.run();
      await new Promise((resolve) => setTimeout(resolve, random.between(100, 400)));
      const killedAt = Date.now();
      await victim.kill();
      const firstAck = await load.firstAckOfSendAfter(Date.now());
      failoverMs.push(firstAck - killedAt);
      await load.stop();
      master = await waitForMaster(client, ns, master);
      restarting.set(victim, victim.restart());
      await waitForInSync(client, master, 1);
      console.log(`  cycle ${cycle}: failover ${firstAck - killedAt} ms, new master ${master}`);
    }
    await Promise.all(restarting.values());
    const acked = load.acked;
    assert.ok(acked.size > 0, 'some sends were acknowledged');
    await pollUntil(`${acked.size} acknowledged messages read`, READ_TIMEOUT_MS, () =>
      [...acked.keys()].every((key) => read.has(key)) ? true : undefined,
    ).catch(async (error: unknown) => {
      const missing = [...acked.keys()].filter((key) => !read.has(key));
      // Lost from the log, or skipped by the consumer?
      const stored = await queryMessagesByKey(client, master, TOPIC, missing[0]!).catch(() => []);
      throw new Error(
        `SEED=${seed}: ${missing.length} acknowledged message(s) not read, e.g. ${missing.slice(0, 5)}; ` +
          `${missing[0]} is ${stored.length > 0 ? '' : 'not '}in the master's log`,
        { cause: error },
      );
    });
    for (const [key, bodyDigest] of acked) assert.equal(read.get(key), bodyDigest, `SEED=${seed}: ${key} intact`);
    const duplicates = reads - read.size;
    console.log(
      `  ${acked.size} acknowledged, ${read.size} read, ${duplicates} duplicate deliveries; ` +
        `failover ms: max ${Math.max(...failoverMs)}, median ${failoverMs.sort((a, b) => a - b)[failoverMs.length >> 1]}`,
    );
    // Redelivery after a failover is bounded by what was read since the last committed offset.
    assert.ok(duplicates <= read.size, `duplicates ${duplicates} bounded by ${read.size} messages read`);
  } finally {
    await load?.stop();
    await load?.shutdown();
    await consumer?.shutdown().catch(() => undefined);
    client.close();
    await stopAll([...brokers, nameServer]);
    await etcd?.stop();
    for (const directory of directories) directory.remove();
  }
});

test.run();
