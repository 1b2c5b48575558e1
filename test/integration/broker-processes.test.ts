// The process harness other integration tests build on (test/support/broker-processes.ts),
// and the broker behaviour it exposes: a broker in its own process registers with separate
// name servers, drops out of their routes when it dies, comes back on the same port with its
// topics after a SIGKILL, re-registers with a name server that restarted, and stops cleanly on
// SIGTERM; a broker with an embedded name server restarts as a unit.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import {
  assertCleanStop,
  startBrokerProcess,
  startNameServerProcess,
  stopAll,
  type BrokerProcess,
  type NameServerProcess,
} from '../support/broker-processes.js';
import { createTopic, pollUntil, topicRoute, waitForRoute } from '../support/broker-requests.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const ROUTE_TIMEOUT_MS = 15_000;
/** Short, so a restarted name server hears from the broker again quickly. */
const REGISTER_INTERVAL_MS = 300;

async function assertRoutedTo(
  client: RemotingClient,
  nameServer: string,
  topic: string,
  broker: BrokerProcess,
  queues: number,
): Promise<void> {
  const route = (await waitForRoute(client, nameServer, topic, ROUTE_TIMEOUT_MS)) as {
    brokerDatas: { brokerAddrs: Record<string, string> }[];
    queueDatas: { readQueueNums: number; writeQueueNums: number; perm: number }[];
  };
  assert.deepEqual(
    route.brokerDatas.map((data) => data.brokerAddrs),
    [{ 0: broker.address }],
    `${nameServer}: broker addresses`,
  );
  assert.deepEqual(
    route.queueDatas.map(({ readQueueNums, writeQueueNums, perm }) => ({ readQueueNums, writeQueueNums, perm })),
    [{ readQueueNums: queues, writeQueueNums: queues, perm: 6 }],
  );
}

function waitForNoRoute(client: RemotingClient, nameServer: string, topic: string): Promise<true> {
  return pollUntil(`${topic} unrouted at ${nameServer}`, ROUTE_TIMEOUT_MS, async () =>
    (await topicRoute(client, nameServer, topic)) === undefined ? true : undefined,
  );
}

test('broker processes: a broker with two separate name servers survives SIGKILL and their restarts (same port, same data)', async () => {
  const directory = temporaryDirectory('broker-processes');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let nameServers: NameServerProcess[] = [];
  let broker: BrokerProcess | undefined;
  try {
    nameServers = [
      await startNameServerProcess({ label: 'namesrv-1' }),
      await startNameServerProcess({ label: 'namesrv-2' }),
    ];
    const addresses = nameServers.map((nameServer) => nameServer.address);
    broker = await startBrokerProcess({
      dataDirectory: directory.path,
      nameServer: 'none',
      nameServers: addresses,
      registerIntervalMs: REGISTER_INTERVAL_MS,
    });
    assert.equal(broker.nameServerAddress, undefined);
    assert.deepEqual(broker.nameServers, addresses);
    await createTopic(client, broker.address, 'Harness', 3);
    for (const address of addresses) await assertRoutedTo(client, address, 'Harness', broker, 3);

    const killed = await broker.kill();
    assert.equal(killed.signal, 'SIGKILL');
    for (const address of addresses) await waitForNoRoute(client, address, 'Harness');
    const { address, pid } = broker;
    assert.equal(await broker.restart(), undefined, 'nothing to stop before restarting a killed broker');
    assert.equal(broker.address, address, 'same address after a restart');
    assert.notEqual(broker.pid, pid);
    for (const nameServer of addresses) await assertRoutedTo(client, nameServer, 'Harness', broker, 3);

    await nameServers[0]!.kill();
    await nameServers[0]!.restart();
    await assertRoutedTo(client, nameServers[0]!.address, 'Harness', broker, 3);

    assertCleanStop(broker, await broker.stop());
    assert.equal(broker.running, false);
    for (const nameServer of addresses) await waitForNoRoute(client, nameServer, 'Harness');
    for (const nameServer of nameServers) assertCleanStop(nameServer, await nameServer.stop());
  } finally {
    client.close();
    await stopAll([broker, ...nameServers]);
    directory.remove();
  }
});

test('broker processes: a broker with an embedded name server restarts as a unit (SIGTERM restart, sync flush)', async () => {
  const directory = temporaryDirectory('broker-processes-embedded');
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.json });
  let broker: BrokerProcess | undefined;
  try {
    broker = await startBrokerProcess({ dataDirectory: directory.path, flush: 'sync' });
    const nameServer = broker.nameServerAddress!;
    assert.deepEqual(broker.nameServers, [nameServer]);
    await createTopic(client, broker.address, 'Embedded', 2);
    await assertRoutedTo(client, nameServer, 'Embedded', broker, 2);
    const stopped = await broker.restart();
    assert.ok(stopped !== undefined, 'the running broker was stopped first');
    assertCleanStop(broker, stopped);
    assert.equal(broker.nameServerAddress, nameServer, 'the embedded name server keeps its port');
    await assertRoutedTo(client, nameServer, 'Embedded', broker, 2);
    assertCleanStop(broker, await broker.stop());
  } finally {
    client.close();
    await stopAll([broker]);
    directory.remove();
  }
});

test.run();
