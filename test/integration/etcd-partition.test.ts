// Controller mode under a network partition (README "Topologies"), without network namespaces:
// every link that the test cuts goes through a TCP proxy process that it blackholes. Broker 1,
// the first master, reaches etcd through one proxy; in the second test its replicas also
// reach its HA port through another (it advertises the proxy's address, haAdvertisedAddress),
// and that is every link between them: replicas in controller mode find the master through
// etcd's election value, never through its client port. Producers still reach it directly, so
// it keeps appending. Cut off, it stops acknowledging within its lease and answers
// MASTER_FENCED (SERVICE_NOT_AVAILABLE, which clients retry elsewhere); the others elect a new
// master that the name server routes (the old one's registrations carry an older epoch and are
// refused) and producers move to; once healed, the old master follows the new one after
// cutting its divergent unacknowledged tail, its log becomes byte-identical to the new
// master's, and every acknowledged message is read back intact.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { ELECTION_LEASE_TTL_S } from '../../broker/broker-constants.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { AckedLoad, AckedReader } from '../support/acked-load.js';
import { startNameServerProcess, stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { createTopic, pollUntil } from '../support/broker-requests.js';
import {
  ELECTION_WAIT_MS,
  replicationStatus,
  routedMaster,
  startManagedBroker,
  waitForInSync,
  waitForMaster,
} from '../support/etcd-broker-set.js';
import { etcdAvailable, startEtcd, type EtcdProcess } from '../support/etcd-process.js';
import { freePort } from '../support/free-port.js';
import { waitSameLog } from '../support/replicated-set.js';
import { seededRandom } from '../support/seeded-random.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const TOPIC = 'PartitionTopic';
/** Between the last keepalive's answer and the client seeing an ack: the lease's own margin covers the rest. */
const ACK_SLACK_MS = 300;
const LOAD_BEFORE_CUT_MS = 700;
/**
 * How long the master cut off from its replicas waits for their acks (the set's default is 3 s):
 * a producer's send to it fails this soon and is sent again, to it while it is still routed, so
 * it appends within its lease, as a master behind a partition does.
 */
const CUT_MASTER_REPLICA_WAIT_MS = 1000;

/** The processes of one run, stopped together whatever happened. */
class PartitionRun {
  readonly client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  readonly directories: ReturnType<typeof temporaryDirectory>[] = [1, 2, 3].map((id) =>
    temporaryDirectory(`partition-${id}`),
  );
  readonly brokers: BrokerProcess[] = [];
  /** Every proxy between broker 1 and the others: the cut blackholes them all. */
  readonly proxies: TcpProxy[] = [];
  etcd: EtcdProcess | undefined;
  nameServer: Awaited<ReturnType<typeof startNameServerProcess>> | undefined;
  load: AckedLoad | undefined;
  reader: AckedReader | undefined;

  /** etcd, a name server, broker 1 elected alone behind its proxies, then brokers 2 and 3 in sync. */
  async start(cutReplicas: boolean): Promise<BrokerProcess> {
    this.etcd = await startEtcd();
    this.nameServer = await startNameServerProcess();
    const ns = this.nameServer.address;
    const etcdProxy = await this.proxy(this.etcd.endpoint);
    // Its replicas reach its HA port, a fixed one, only through the proxy it advertises.
    const haPort = await freePort();
    const haProxy = cutReplicas ? await this.proxy(`127.0.0.1:${haPort}`) : undefined;
    const throughProxy =
      haProxy === undefined
        ? {}
        : { haPort, haAdvertisedAddress: haProxy.address, syncReplicaTimeoutMs: CUT_MASTER_REPLICA_WAIT_MS };
    const isolated = await startManagedBroker(1, this.directories[0]!.path, [etcdProxy.address], [ns], throughProxy);
    this.brokers.push(isolated);
    assert.equal(await waitForMaster(this.client, ns), isolated.address);
    await createTopic(this.client, isolated.address, TOPIC, 4);
    for (const id of [2, 3])
      this.brokers.push(await startManagedBroker(id, this.directories[id - 1]!.path, [this.etcd.endpoint], [ns]));
    await waitForInSync(this.client, isolated.address, 2);
    if (haProxy !== undefined) await this.expectReplicasThrough(isolated.address, haProxy.address);
    return isolated;
  }

  /** The master advertises the proxy (to static replicas too), and both replicas stream through it. */
  private async expectReplicasThrough(master: string, haProxy: string): Promise<void> {
    const answer = await this.client.invoke(master, { code: REQUEST_CODE.TRIBUTARY_REPLICATION_ADDRESS }, 3000);
    assert.equal(answer.extFields?.haAddress, haProxy);
    for (const replica of this.brokers.slice(1)) {
      const { follower } = await replicationStatus(this.client, replica.address);
      assert.equal(follower?.haAddress, haProxy, `${replica.address} follows`);
    }
  }

  async stop(): Promise<void> {
    await this.load?.stop();
    await this.load?.shutdown();
    await this.reader?.shutdown();
    this.client.close();
    await stopAll([...this.brokers, this.nameServer]);
    for (const proxy of this.proxies) await proxy.stop();
    await this.etcd?.stop();
    for (const directory of this.directories) directory.remove();
  }

  private async proxy(target: string): Promise<TcpProxy> {
    const proxy = await startTcpProxy(target);
    this.proxies.push(proxy);
    return proxy;
  }
}

/** A send straight to `address`, as a producer that still reaches it would make. */
function sendDirectly(client: RemotingClient, address: string) {
  const header = { a: 'fenced-pg', b: TOPIC, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0 };
  return client.invoke(
    address,
    {
      code: REQUEST_CODE.SEND_MESSAGE_V2,
      extFields: { ...header, k: false },
      body: Buffer.from('to the deposed master'),
    },
    5000,
  );
}

async function partitionedMaster(label: string, cutReplicas: boolean): Promise<void> {
  if (!etcdAvailable()) return;
  const { seed } = seededRandom(label);
  const run = new PartitionRun();
  const { client } = run;
  try {
    const isolated = await run.start(cutReplicas);
    const ns = run.nameServer!.address;
    const truncationsBefore = (await replicationStatus(client, isolated.address)).truncations;
    const load = (run.load = new AckedLoad(ns, TOPIC, seededRandom(`${label} load`, seed, false)));
    await load.start();
    load.run();
    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_CUT_MS));
    const cutAt = Date.now();
    await Promise.all(run.proxies.map((proxy) => proxy.block()));
    const endAtCut = (await replicationStatus(client, isolated.address)).logEnd;
    // Producers still reach it: it appends a tail the new master never gets.
    await pollUntil('the cut-off master appending sends', ELECTION_WAIT_MS, async () =>
      (await replicationStatus(client, isolated.address)).logEnd > endAtCut ? true : undefined,
    );
    const newMaster = await waitForMaster(client, ns, isolated.address);
    // Still up, still reachable by clients, but fenced: it refuses (after appending).
    const refused = await sendDirectly(client, isolated.address);
    assert.equal(refused.code, RESPONSE_CODE.SERVICE_NOT_AVAILABLE, refused.remark);
    assert.match(refused.remark ?? '', /MASTER_FENCED/);
    await load.firstAckOfSendAfter(Date.now());
    await load.stop();
    const newMasterPort = run.brokers.find((broker) => broker.address === newMaster)!.port;
    assert.ok(
      load.acks.some((ack) => ack.storePort === newMasterPort && ack.startedAt > cutAt),
      'producers moved to the new master',
    );
    const isolatedAcks = load.acks.filter((ack) => ack.storePort === isolated.port);
    assert.ok(isolatedAcks.length > 0, 'the master acknowledged sends before the cut');
    const lastAck = Math.max(...isolatedAcks.map((ack) => ack.ackedAt));
    const leaseEnd = cutAt + ELECTION_LEASE_TTL_S * 1000 + ACK_SLACK_MS;
    assert.ok(lastAck <= leaseEnd, `last ack by the cut-off master ${lastAck - cutAt} ms after the cut`);
    await Promise.all(run.proxies.map((proxy) => proxy.heal()));
    const rejoined = await pollUntil(
      'the old master following the new one, its tail cut',
      ELECTION_WAIT_MS,
      async () => {
        const status = await replicationStatus(client, isolated.address);
        const cut = status.truncations > truncationsBefore;
        return status.role === 'slave' && cut && status.follower?.connected ? status : undefined;
      },
    );
    assert.equal(rejoined.follower?.masterAddress, newMaster);
    assert.ok(rejoined.bytes > 0, 'the divergent tail was cut');
    assert.equal(await routedMaster(client, ns), newMaster, 'the name server still routes the new master');
    // No consumer has committed yet, so both logs are still: the old one is a copy of the new one.
    const newMasterDirectory = run.brokers.find((broker) => broker.address === newMaster)!.dataDirectory;
    const sameBytes = await waitSameLog(newMasterDirectory, isolated.dataDirectory, ELECTION_WAIT_MS);
    const reader = (run.reader = new AckedReader(ns, TOPIC, 'partition-readers'));
    await reader.start();
    await reader.expectAll(load.acked, ELECTION_WAIT_MS, async () => `SEED=${seed}`);
    console.log(
      `  last ack by the cut-off master ${lastAck - cutAt} ms after the cut; ${load.acked.size} acknowledged, ` +
        `${rejoined.truncations - truncationsBefore} cut(s) of ${rejoined.bytes} bytes; ${sameBytes} log bytes identical`,
    );
  } finally {
    await run.stop();
  }
}

test('etcd partition: a master cut off from etcd stops acknowledging within its lease, answers MASTER_FENCED, and once healed follows the new master with its divergent tail cut; nothing acknowledged is lost', () =>
  partitionedMaster('etcd partition', false));

test('etcd partition: a master cut off from etcd and from its replicas, still sent to by producers, stops acknowledging within its lease; the replicas elect a new master that producers move to; healed, the old master follows it with its divergent tail cut and a byte-identical log; nothing acknowledged is lost', () =>
  partitionedMaster('etcd partition (replicas cut too)', true));

test.run();
