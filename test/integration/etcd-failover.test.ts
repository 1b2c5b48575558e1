// Controller mode (README "Topologies"): three brokers of one name elect their master through
// a real etcd. The master is SIGKILLed under the load of several producers, cycle after cycle
// on one cluster (the killed broker restarts and rejoins as a replica): no acknowledged message
// is lost or corrupted (SHA-256 of each body), a consumer running throughout continues from
// each new master with bounded duplicates, and each failover is timed from the kill to the
// first send the new master acknowledges.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { startNameServerProcess, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { createTopic, queryMessagesByKey } from '../support/broker-requests.js';
import { startManagedBroker, waitForInSync, waitForMaster } from '../support/etcd-broker-set.js';
import { AckedLoad, AckedReader } from '../support/acked-load.js';
import { etcdAvailable, startEtcd, type EtcdProcess } from '../support/etcd-process.js';
import { seededRandom } from '../support/seeded-random.js';
import { soakScale } from '../support/soak-scale.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CYCLES = Number(process.env.CYCLES ?? soakScale(20, 60));
const BROKERS = 3;
const TOPIC = 'ManagedFailoverTopic';
const READ_TIMEOUT_MS = 60_000;

test(`etcd failover: SIGKILL of the master under several producers loses no acknowledged message; a consumer continues from each new master (${CYCLES} seeded cycles)`, async () => {
  if (!etcdAvailable()) return;
  const { seed } = seededRandom('etcd failover');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  const directories = Array.from({ length: BROKERS }, (_, i) => temporaryDirectory(`managed-${i + 1}`));
  const brokers: BrokerProcess[] = [];
  let etcd: EtcdProcess | undefined;
  let nameServer: Awaited<ReturnType<typeof startNameServerProcess>> | undefined;
  let reader: AckedReader | undefined;
  let load: AckedLoad | undefined;
  try {
    etcd = await startEtcd();
    nameServer = await startNameServerProcess();
    const ns = nameServer.address;
    for (let id = 1; id <= BROKERS; id++)
      brokers.push(await startManagedBroker(id, directories[id - 1]!.path, [etcd.endpoint], [ns]));
    let master = await waitForMaster(client, ns);
    await createTopic(client, master, TOPIC, 4);
    await waitForInSync(client, master, BROKERS - 1);
    reader = new AckedReader(ns, TOPIC, 'managed-readers');
    await reader.start();
    load = new AckedLoad(ns, TOPIC, seededRandom('etcd failover load', seed, false));
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
      const firstAck = await load.firstAckOfSendAfter(Date.now()).catch((error: unknown) => {
        for (const broker of brokers) console.log(`--- ${broker.label} (${broker.address}):\n${broker.outputTail}`);
        throw error;
      });
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
    // Lost from the log, or skipped by the consumer?
    await reader.expectAll(acked, READ_TIMEOUT_MS, async (key) => {
      const stored = await queryMessagesByKey(client, master, TOPIC, key).catch(() => []);
      return `SEED=${seed}: ${key} is ${stored.length > 0 ? '' : 'not '}in the master's log`;
    });
    const duplicates = reader.deliveries - reader.read.size;
    console.log(
      `  ${acked.size} acknowledged, ${reader.read.size} read, ${duplicates} duplicate deliveries; ` +
        `failover ms: max ${Math.max(...failoverMs)}, median ${failoverMs.sort((a, b) => a - b)[failoverMs.length >> 1]}`,
    );
    // Redelivery after a failover is bounded by what was read since the last committed offset.
    assert.ok(duplicates <= reader.read.size, `duplicates ${duplicates} bounded by ${reader.read.size} messages read`);
  } finally {
    await load?.stop();
    await load?.shutdown();
    await reader?.shutdown();
    client.close();
    await stopAll([...brokers, nameServer]);
    await etcd?.stop();
    for (const directory of directories) directory.remove();
  }
});

test.run();
