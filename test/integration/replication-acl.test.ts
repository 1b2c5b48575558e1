// Replication under access control (README "Topologies"): a master with ACL on streams its log
// only to a peer whose first HA frame is an admin account's fresh signature
// (broker/replication/replica-auth.ts). A raw socket that says hello or probes unsigned, signs
// with a wrong secret or a non-admin account, or replays a signature gets one refuse frame
// (unauthorized) and the connection closed, nothing of the log; a replica started with the
// admin account converges byte for byte on its sync master and lets it acknowledge sends.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'uvu';

import {
  REFUSE_REASON,
  ReplicationFrameDecoder,
  encodeReplicationFrame,
  type ReplicationFrame,
} from '../../broker/replication/replication-frame.js';
import { replicaAuthFrame } from '../../broker/replication/replica-auth.js';
import { Producer } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { stopAll, type BrokerProcess } from '../support/broker-processes.js';
import { createTopic } from '../support/broker-requests.js';
import { startMaster, startReplica, waitForMasterRoute, waitInSync, waitSameLog } from '../support/replicated-set.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const ADMIN = { accessKey: 'replica-admin', secretKey: 'replica-admin-secret' };
const USER = { accessKey: 'plain-user', secretKey: 'plain-user-secret' };
const ACL = {
  accounts: [
    { ...ADMIN, admin: true },
    { ...USER, admin: false, defaultTopicPerm: 'PUB|SUB', defaultGroupPerm: 'PUB|SUB' },
  ],
};
const TOPIC = 'AclReplicated';
const WAIT_MS = 20_000;
/** A refused peer sees its connection closed well within this. */
const PEER_WAIT_MS = 5000;

const hello: ReplicationFrame = {
  type: 'hello',
  logEnd: 0,
  lastOffset: -1,
  lastSize: 0,
  lastChecksum: 0,
  segmentBytes: 1024 * 1024,
  brokerName: 'broker-r',
  replicaId: 1,
  epoch: 0,
};
const probe: ReplicationFrame = { type: 'probe', offset: 0, size: 100, checksum: 0 };

/**
 * Sends `frames` on a raw connection to the HA port and returns every frame received until the
 * master closes it or sends log data (or PEER_WAIT_MS passes, then what came so far).
 */
async function rawPeer(haPort: number, frames: readonly ReplicationFrame[]): Promise<ReplicationFrame[]> {
  const socket = net.connect({ host: '127.0.0.1', port: haPort });
  const received: ReplicationFrame[] = [];
  const decoder = new ReplicationFrameDecoder();
  socket.on('error', () => undefined);
  socket.write(Buffer.concat(frames.flatMap((frame) => encodeReplicationFrame(frame))));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, PEER_WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    socket.on('data', (chunk) =>
      decoder.push(chunk, (frame) => {
        received.push(frame);
        if (frame.type === 'data') done();
      }),
    );
    socket.once('close', done);
  });
  socket.destroy();
  return received;
}

function assertRefusedUnauthorized(received: readonly ReplicationFrame[], what: string): void {
  assert.equal(received.length, 1, `${what}: ${received.map((frame) => frame.type).join(', ')}`);
  const [only] = received;
  assert.ok(only?.type === 'refuse' && only.reason === REFUSE_REASON.unauthorized, `${what}: ${JSON.stringify(only)}`);
}

test('replication under ACL: the HA port streams nothing to an unsigned, wrongly signed, non-admin or replayed peer; an admin-signed replica converges', async () => {
  const masterDirectory = temporaryDirectory('repl-acl-master');
  const replicaDirectory = temporaryDirectory('repl-acl-replica');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json, credentials: ADMIN });
  let master: (BrokerProcess & { haPort: number }) | undefined;
  let replica: BrokerProcess | undefined;
  try {
    master = await startMaster(masterDirectory.path, { acl: ACL });
    await createTopic(client, master.address, TOPIC, 2);
    const haPort = master.haPort;
    assertRefusedUnauthorized(await rawPeer(haPort, [hello]), 'an unsigned hello');
    assertRefusedUnauthorized(await rawPeer(haPort, [probe]), 'an unsigned probe');
    const wrongSecret = replicaAuthFrame({ accessKey: ADMIN.accessKey, secretKey: 'not-the-secret' });
    assertRefusedUnauthorized(await rawPeer(haPort, [wrongSecret, hello]), 'a wrong secret');
    assertRefusedUnauthorized(await rawPeer(haPort, [replicaAuthFrame(USER), hello]), 'a non-admin account');
    // The same admin signature is taken once: the first connection is streamed the log, a replay is not.
    const signed = replicaAuthFrame(ADMIN);
    const first = await rawPeer(haPort, [signed, hello]);
    assert.ok(
      first.some((frame) => frame.type === 'data'),
      `a signed peer is streamed: ${first.map((f) => f.type)}`,
    );
    assertRefusedUnauthorized(await rawPeer(haPort, [signed, hello]), 'a replayed signature');

    replica = await startReplica(replicaDirectory.path, master.nameServers, { replicaCredentials: ADMIN });
    await waitInSync(client, master.address);
    await waitForMasterRoute(client, master.nameServerAddress!, TOPIC, master.address);
    // A sync master acknowledges only once the replica holds a send: these succeed through it.
    const producer = new Producer({
      nameServer: master.nameServerAddress!,
      group: 'acl-replicated',
      credentials: ADMIN,
    });
    await producer.start();
    try {
      for (let i = 0; i < 50; i++) await producer.send({ topic: TOPIC, body: Buffer.from(`signed ${i}`) });
    } finally {
      await producer.shutdown();
    }
    await waitSameLog(masterDirectory.path, replicaDirectory.path, WAIT_MS);
    assert.ok(!replica.outputTail.includes('refused this replica'), replica.outputTail);
  } finally {
    client.close();
    await stopAll([replica, master]);
    masterDirectory.remove();
    replicaDirectory.remove();
  }
});

test.run();
