// Controller mode under a network partition (README "Topologies"): the master reaches etcd
// through a TCP proxy process that the test blackholes (no network namespaces needed). Cut
// off, it stops acknowledging within its lease and answers MASTER_FENCED (SERVICE_NOT_AVAILABLE,
// which clients retry elsewhere); the others elect a new master that the name server routes
// (the old one's registrations carry an older epoch and are refused); once healed, the old
// master follows the new one after cutting its divergent unacknowledged tail, and every
// acknowledged message is read back intact.
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
import { seededRandom } from '../support/seeded-random.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const TOPIC = 'PartitionTopic';
/** Between the last keepalive's answer and the client seeing an ack: the lease's own margin covers the rest. */
const ACK_SLACK_MS = 300;
const LOAD_BEFORE_CUT_MS = 700;

test('etcd partition: a master cut off from etcd stops acknowledging within its lease, answers MASTER_FENCED, and once healed follows the new master with its divergent tail cut; nothing acknowledged is lost', async () => {
  if (!etcdAvailable()) return;
  const { seed } = seededRandom('etcd partition');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  const directories = [1, 2, 3].map((id) => temporaryDirectory(`partition-${id}`));
  const brokers: BrokerProcess[] = [];
  let etcd: EtcdProcess | undefined;
  let proxy: TcpProxy | undefined;
  let nameServer: Awaited<ReturnType<typeof startNameServerProcess>> | undefined;
  let load: AckedLoad | undefined;
  let reader: AckedReader | undefined;
  try {
    etcd = await startEtcd();
    proxy = await startTcpProxy(etcd.endpoint);
    nameServer = await startNameServerProcess();
    const ns = nameServer.address;
    // Broker 1 starts alone, so it is elected; it alone reaches etcd through the proxy.
    const isolated = await startManagedBroker(1, directories[0]!.path, [proxy.address], [ns]);
    brokers.push(isolated);
    assert.equal(await waitForMaster(client, ns), isolated.address);
    await createTopic(client, isolated.address, TOPIC, 4);
    for (const id of [2, 3])
      brokers.push(await startManagedBroker(id, directories[id - 1]!.path, [etcd.endpoint], [ns]));
    await waitForInSync(client, isolated.address, 2);
    load = new AckedLoad(ns, TOPIC, seededRandom('etcd partition load', seed, false));
    await load.start();
    load.run();
    await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_CUT_MS));
    const cutAt = Date.now();
    await proxy.block();
    const newMaster = await waitForMaster(client, ns, isolated.address);
    // Still up, still reachable by clients, but fenced: it refuses (after appending: a tail
    // the new master never gets).
    const refused = await client.invoke(
      isolated.address,
      {
        code: REQUEST_CODE.SEND_MESSAGE_V2,
        extFields: {
          a: 'fenced-pg',
          b: TOPIC,
          c: 'TBW102',
          d: 4,
          e: 0,
          f: 0,
          g: Date.now(),
          h: 0,
          i: '',
          j: 0,
          k: false,
        },
        body: Buffer.from('to the deposed master'),
      },
      5000,
    );
    assert.equal(refused.code, RESPONSE_CODE.SERVICE_NOT_AVAILABLE, refused.remark);
    assert.match(refused.remark ?? '', /MASTER_FENCED/);
    await load.firstAckOfSendAfter(Date.now());
    await load.stop();
    const isolatedAcks = load.acks.filter((ack) => ack.storePort === isolated.port);
    assert.ok(isolatedAcks.length > 0, 'the master acknowledged sends before the cut');
    const lastAck = Math.max(...isolatedAcks.map((ack) => ack.ackedAt));
    const leaseEnd = cutAt + ELECTION_LEASE_TTL_S * 1000 + ACK_SLACK_MS;
    assert.ok(lastAck <= leaseEnd, `last ack by the cut-off master ${lastAck - cutAt} ms after the cut`);
    await proxy.heal();
    const rejoined = await pollUntil(
      'the old master following the new one, its tail cut',
      ELECTION_WAIT_MS,
      async () => {
        const status = await replicationStatus(client, isolated.address);
        return status.role === 'slave' && status.truncations >= 1 && status.follower?.connected ? status : undefined;
      },
    );
    assert.equal(rejoined.follower?.masterAddress, newMaster);
    assert.equal(await routedMaster(client, ns), newMaster, 'the name server still routes the new master');
    reader = new AckedReader(ns, TOPIC, 'partition-readers');
    await reader.start();
    const acked = load.acked;
    await reader.expectAll(acked, ELECTION_WAIT_MS, async () => `SEED=${seed}`);
    console.log(
      `  last ack by the cut-off master ${lastAck - cutAt} ms after the cut; ${acked.size} acknowledged, ` +
        `${rejoined.truncations} cut(s) of ${rejoined.bytes} bytes`,
    );
  } finally {
    await load?.stop();
    await load?.shutdown();
    await reader?.shutdown();
    client.close();
    await stopAll([...brokers, nameServer]);
    await proxy?.stop();
    await etcd?.stop();
    for (const directory of directories) directory.remove();
  }
});

test.run();
