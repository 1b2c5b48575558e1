// The connection limits of a real broker process (and of a name server): past each one the
// server does what the README's "Limits" table says, counts it in GET_BROKER_RUNTIME_INFO, and
// the connections that stay within the limits are served as before.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import type { ConnectionLimits } from '../../broker/index.js';
import { startNameServer } from '../../namesrv/index.js';
import { Producer } from '../../client/index.js';
import { PULL_SYS_FLAG } from '../../protocol/header-fields.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { brokerRuntimeInfo, pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { RawConnection } from '../support/raw-connection.js';

const WAIT_MS = 10_000;

/** A heartbeat of a client with no groups: a real request that registers nothing. */
function heartbeat(clientId: string, padding = ''): { code: number; body: Buffer } {
  const data = { clientID: clientId, producerDataSet: [], consumerDataSet: [], padding };
  return { code: REQUEST_CODE.HEART_BEAT, body: Buffer.from(JSON.stringify(data)) };
}

async function served(connection: RawConnection, clientId: string): Promise<void> {
  const response = await connection.request(heartbeat(clientId));
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
}

/** A broker process with these limits, a stats client, and cleanup of both. */
async function withBroker(
  label: string,
  limits: ConnectionLimits,
  topics: Record<string, number>,
  body: (fixture: MessagingFixture, stats: () => Promise<Record<string, number>>) => Promise<void>,
): Promise<void> {
  const fixture = await startMessaging(label, { topics, connectionLimits: limits });
  const probe = new RemotingClient();
  try {
    await body(fixture, () => brokerRuntimeInfo(probe, fixture.broker.address));
  } finally {
    probe.close();
    await fixture.close();
  }
}

test('connection limits: a socket past maxConnections is closed on arrival and counted; a freed slot is reused (max 6)', async () => {
  await withBroker('max-connections', { maxConnections: 6 }, {}, async (fixture, stats) => {
    const address = fixture.broker.address;
    const open = (await stats()).connectionsOpen!; // The probe's own connection.
    const accepted = await Promise.all(Array.from({ length: 6 - open }, () => RawConnection.open(address)));
    await Promise.all(accepted.map((connection, i) => served(connection, `within-${i}`)));
    const refused = await Promise.all([RawConnection.open(address), RawConnection.open(address)]);
    await Promise.all(refused.map((connection) => connection.closed));
    await assert.rejects(refused[0]!.request(heartbeat('refused')));
    let info = await stats();
    assert.equal(info.connectionsOpen, 6);
    assert.equal(info.connectionsRejected, 2);
    // The limit is on connections open at once: closing one lets the next in.
    accepted[0]!.destroy();
    await pollUntil('a freed slot', WAIT_MS, async () => ((await stats()).connectionsOpen === 5 ? true : undefined));
    const next = await RawConnection.open(address);
    await served(next, 'next');
    for (const connection of accepted.slice(1)) await served(connection, 'still-served');
    info = await stats();
    assert.equal(info.connectionsRejected, 2);
    for (const connection of [...accepted, next]) connection.destroy();
  });
});

test('connection limits: the name server closes sockets past its maxConnections too (max 2)', async () => {
  const nameServer = await startNameServer({ host: '127.0.0.1', port: 0, connectionLimits: { maxConnections: 2 } });
  const address = `127.0.0.1:${nameServer.port}`;
  const connections: RawConnection[] = [];
  try {
    for (let i = 0; i < 2; i++) connections.push(await RawConnection.open(address));
    for (const connection of connections) {
      const response = await connection.request({ code: REQUEST_CODE.GET_ALL_TOPIC_LIST_FROM_NAMESERVER });
      assert.equal(response.code, RESPONSE_CODE.SUCCESS);
    }
    const refused = await RawConnection.open(address);
    connections.push(refused);
    await refused.closed;
    assert.deepEqual(nameServer.connectionStats(), {
      open: 2,
      accepted: 2,
      rejected: 1,
      closedIdle: 0,
      closedStalled: 0,
      closedProtocolError: 0,
      closedFrameBudget: 0,
      closedHeaderRefused: 0,
      busyRefusals: 0,
      unfinishedFrameBytes: 0,
    });
  } finally {
    for (const connection of connections) connection.destroy();
    await nameServer.close();
  }
});

test('connection limits: a connection silent for idleTimeoutMs is closed; clients that heartbeat keep theirs (idle 1 s)', async () => {
  const idleTimeoutMs = 1000;
  await withBroker('idle-timeout', { idleTimeoutMs }, { chatty: 2 }, async (fixture, stats) => {
    const clientOptions = { nameServer: fixture.nameServer, heartbeatIntervalMs: idleTimeoutMs / 4 };
    const producer = new Producer({ ...clientOptions, group: 'chatty-producer' });
    await producer.start();
    const { consumer, received } = await recordingConsumer({
      ...clientOptions,
      group: 'chatty-group',
      subscriptions: { chatty: '*' },
      consumeFrom: 'first',
    });
    try {
      await producer.send({ topic: 'chatty', body: 'before' });
      await waitFor('the first message', WAIT_MS, () => received.length === 1);
      // The probe asks for stats every 50 ms while waiting, so its own connection stays busy.
      const whileProbing = (what: string, condition: () => boolean): Promise<true> =>
        pollUntil(what, WAIT_MS, async () => ((await stats()) && condition() ? true : undefined));
      const acceptedBefore = (await stats()).connectionsAccepted!;
      const openedAt = Date.now();
      const silent = await RawConnection.open(fixture.broker.address);
      let silentMs = 0;
      void silent.closed.then(() => (silentMs = Date.now() - openedAt));
      await whileProbing('the silent connection closed', () => silentMs > 0);
      assert.ok(silentMs >= idleTimeoutMs - 50, `closed after ${silentMs} ms`);
      assert.ok(silentMs < idleTimeoutMs * 5, `closed only after ${silentMs} ms`);
      // Three more idle periods: the heartbeating clients' connections must outlive them all.
      await whileProbing('three more idle periods', () => Date.now() - openedAt >= 4 * idleTimeoutMs);
      await producer.send({ topic: 'chatty', body: 'after' });
      await waitFor('the second message', WAIT_MS, () => received.length === 2);
      const info = await stats();
      assert.ok(info.connectionsClosedIdle! >= 1);
      // Only the silent connection was new: nobody else had to reconnect.
      assert.equal(info.connectionsAccepted, acceptedBefore + 1);
    } finally {
      await producer.shutdown();
      await consumer.shutdown();
    }
  });
});

test('connection limits: an oversized length prefix closes only its connection, before the frame arrives (max 64 KiB)', async () => {
  const maxFrameBytes = 64 * 1024;
  await withBroker('max-frame', { maxFrameBytes }, {}, async (fixture, stats) => {
    const address = fixture.broker.address;
    const bystander = await RawConnection.open(address);
    // Just under the limit passes.
    const near = heartbeat('near', 'x'.repeat(maxFrameBytes - 1024));
    assert.ok(RawConnection.frame(near).length - 4 <= maxFrameBytes);
    await served(bystander, 'bystander');
    assert.equal((await bystander.request(near)).code, RESPONSE_CODE.SUCCESS);
    // A lone length prefix one byte over: closed without waiting for (or buffering) the frame.
    const prefixOnly = await RawConnection.open(address);
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32BE(maxFrameBytes + 1, 0);
    prefixOnly.write(prefix);
    await prefixOnly.closed;
    // A whole frame over the limit: closed too.
    const whole = await RawConnection.open(address);
    void whole.request(heartbeat('whole', 'x'.repeat(maxFrameBytes))).catch(() => undefined);
    await whole.closed;
    await served(bystander, 'bystander-after');
    assert.equal((await stats()).connectionsClosedProtocolError, 2);
    bystander.destroy();
  });
});

test('connection limits: requests past maxInFlightPerConnection get SYSTEM_BUSY at once (max 4, held pulls)', async () => {
  await withBroker('in-flight', { maxInFlightPerConnection: 4 }, { parked: 1 }, async (fixture, stats) => {
    const connection = await RawConnection.open(fixture.broker.address);
    const pull = {
      code: REQUEST_CODE.PULL_MESSAGE,
      extFields: {
        consumerGroup: 'parked-group',
        topic: 'parked',
        queueId: '0',
        queueOffset: '0',
        maxMsgNums: '32',
        sysFlag: String(PULL_SYS_FLAG.suspend),
        suspendTimeoutMillis: '20000',
      },
    };
    // Four long polls park on the empty queue and occupy every slot; two more are refused.
    const responses = Array.from({ length: 6 }, () => connection.request(pull, 30_000));
    const refused = await Promise.all(responses.slice(4));
    for (const response of refused) {
      assert.equal(response.code, RESPONSE_CODE.SYSTEM_BUSY);
      assert.match(response.remark ?? '', /\[TOO_MANY_REQUESTS\]/);
    }
    assert.equal((await stats()).requestsRefusedBusy, 2);
    // A message wakes the four parked pulls, which then answer normally.
    const producer = new Producer({ nameServer: fixture.nameServer, group: 'parked-producer' });
    await producer.start();
    try {
      await producer.send({ topic: 'parked', body: 'wake' });
      const woken = await Promise.all(responses.slice(0, 4));
      for (const response of woken) assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
    } finally {
      await producer.shutdown();
      connection.destroy();
    }
  });
});

test.run();
