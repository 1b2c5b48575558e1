// Producers and consumers of one process share one client instance (RocketMQ's
// MQClientInstance): one connection per broker, one heartbeat carrying every group, requests
// from the broker routed to the member of their group, and each member leaving on its own.
// Connections are counted where the broker counts them (tributary_connections_open on its
// /metrics page), group membership where the broker keeps it (its consumer table through
// GET_CONSUMER_CONNECTION_LIST, its producer table through the check-backs it sends), pulls
// held for long polling where the broker holds them (tributary_pulls_held).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'uvu';

import { Admin, Producer, PushConsumer, TransactionProducer, type ReceivedMessage } from '../../client/index.js';
import { RETRY_QUEUE_COUNT } from '../../broker/broker-constants.js';
import { ClientInstance } from '../../client/client-instance.js';
import { CLIENT_INSTANCES } from '../../client/client-instance-registry.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { PULL_MESSAGE_FIELD as F, PULL_SYS_FLAG } from '../../protocol/header-fields.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, TEST_STORE_OPTIONS, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { waitFor } from '../support/messaging-fixture.js';
import { metricSample, metricUntil, scrapeMetrics } from '../support/metrics-page.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const TOPIC = 'SharedInstanceTopic';
/** One queue each: a pull held on one is woken by a send to that topic only. */
const HELD_TOPIC = 'SharedInstanceHeld';
const IDLE_TOPIC = 'SharedInstanceIdle';
const WAIT_MS = 15_000;
/** The request made to time out on a live connection: long enough for another member's send to come back first, on a loaded machine. */
const LIVE_TIMEOUT_MS = 2500;
/** The request made to time out on a silent connection. */
const SILENT_TIMEOUT_MS = 500;
/** Well under the 15 s a consumer's pull is held for: a release at unregistration, not at expiry. */
const RELEASE_WAIT_MS = 5000;
/** A transaction is due after 400 ms and checked every 200 ms. */
const BROKER_TIMING = { transactionCheckIntervalMs: 200, transactionTimeoutMs: 400 } as const;
const CONNECTIONS = 'tributary_connections_open';

let broker: BrokerProcess;
let nameServer: string;
let removeDirectory: () => void;
/** Its own instance (an Admin never shares): one connection of its own, counted in `others`. */
let admin: Admin;
let groupSerial = 0;
const freshGroup = (prefix: string): string => `${prefix}_${process.pid}_${++groupSerial}`;
const bodyOf = (message: ReceivedMessage): string => message.body.toString('utf8');

/** Waits until the broker counts `clients` connections besides the admin's. */
const connectionsBecome = (clients: number): Promise<string> =>
  metricUntil(broker.httpPort!, CONNECTIONS, {}, (open) => open === clients + 1, WAIT_MS);

async function consumerOf(group: string, received: ReceivedMessage[], options = {}): Promise<PushConsumer> {
  const consumer = new PushConsumer({
    nameServer,
    group,
    subscriptions: { [TOPIC]: '*' },
    consumeFrom: 'last',
    ...options,
  });
  await consumer.start((message) => void received.push(message));
  return consumer;
}

test.before(async () => {
  const directory = temporaryDirectory('shared-instance');
  removeDirectory = directory.remove;
  broker = await startBrokerProcess({
    dataDirectory: directory.path,
    store: TEST_STORE_OPTIONS,
    httpPort: 0,
    label: 'shared-instance',
    ...BROKER_TIMING,
  });
  nameServer = broker.nameServerAddress!;
  admin = new Admin({ nameServer });
  await admin.createTopic(TOPIC, { queues: 4 });
  await admin.createTopic(HELD_TOPIC, { queues: 1 });
  await admin.createTopic(IDLE_TOPIC, { queues: 1 });
  for (const topic of [TOPIC, HELD_TOPIC, IDLE_TOPIC])
    await pollUntil(`route of ${topic}`, 10_000, async () => (await admin.listTopics()).includes(topic) || undefined);
});

test.after(async () => {
  await admin?.close();
  await broker?.stop();
  removeDirectory?.();
});

test('a producer and a consumer of one process share one connection to the broker; a distinct instanceName gets its own', async () => {
  await connectionsBecome(0);
  const received: ReceivedMessage[] = [];
  const producer = new Producer({ nameServer, group: freshGroup('SharedProducer') });
  await producer.start();
  const consumer = await consumerOf(freshGroup('SharedConsumer'), received);
  try {
    await producer.send({ topic: TOPIC, body: 'one connection' });
    await waitFor('the message', WAIT_MS, () => received.some((m) => bodyOf(m) === 'one connection'));
    await connectionsBecome(1);
    const apart = new Producer({ nameServer, group: freshGroup('ApartProducer'), instanceName: 'apart' });
    await apart.start();
    await apart.send({ topic: TOPIC, body: 'own instance' });
    await connectionsBecome(2);
    await apart.shutdown();
    await connectionsBecome(1);
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
  await connectionsBecome(0);
});

test('closing the producer leaves the consumer sharing its instance consuming and in its group', async () => {
  const group = freshGroup('KeepsConsuming');
  const received: ReceivedMessage[] = [];
  const producer = new Producer({ nameServer, group: freshGroup('ClosedFirst') });
  await producer.start();
  const consumer = await consumerOf(group, received);
  const other = new Producer({ nameServer, group: freshGroup('Later'), instanceName: 'later' });
  try {
    await producer.send({ topic: TOPIC, body: 'before' });
    await waitFor('the first message', WAIT_MS, () => received.some((m) => bodyOf(m) === 'before'));
    await producer.shutdown();
    await assert.rejects(producer.send({ topic: TOPIC, body: 'refused' }), { code: 'SHUT_DOWN' });
    await connectionsBecome(1);
    const members = await admin.consumerConnections(group);
    assert.deepEqual(
      members.map((member) => member.clientId),
      [consumer.clientId],
    );
    await other.start();
    await other.send({ topic: TOPIC, body: 'after' });
    await waitFor('the message sent after the close', WAIT_MS, () => received.some((m) => bodyOf(m) === 'after'));
  } finally {
    await other.shutdown();
    await consumer.shutdown();
  }
  await connectionsBecome(0);
});

test('a check-back reaches the transaction producer sharing its instance with consumers of other groups', async () => {
  const received: ReceivedMessage[] = [];
  const checked: string[] = [];
  const consumer = await consumerOf(freshGroup('BesideTransactions'), received);
  const bystander = await consumerOf(freshGroup('Bystander'), []);
  const producer = new TransactionProducer({
    nameServer,
    group: freshGroup('SharedTransactions'),
    check: (message) => {
      checked.push(bodyOf(message));
      return 'commit';
    },
  });
  try {
    await producer.start();
    await connectionsBecome(1);
    const sent = await producer.sendInTransaction({ topic: TOPIC, body: 'checked back' }, () => 'unknown');
    assert.equal(sent.verdict, 'unknown');
    await waitFor('the committed message', WAIT_MS, () => received.some((m) => bodyOf(m) === 'checked back'));
    assert.deepEqual(checked, ['checked back']);
  } finally {
    await producer.shutdown();
    await bystander.shutdown();
    await consumer.shutdown();
  }
});

test("the instance's periodic heartbeat carries the producer group and the consumer group", async () => {
  // Every 200 ms, while the transaction producer's own heartbeats (at start and with each
  // cluster refresh) are a minute apart: after both groups are unregistered, only the shared
  // periodic heartbeat can register them again.
  const received: ReceivedMessage[] = [];
  const checked: string[] = [];
  const consumerGroup = freshGroup('HeartbeatConsumer');
  const producerGroup = freshGroup('HeartbeatProducer');
  const consumer = await consumerOf(consumerGroup, received, { heartbeatIntervalMs: 200 });
  const producer = new TransactionProducer({
    nameServer,
    group: producerGroup,
    routeRefreshIntervalMs: 60_000,
    heartbeatIntervalMs: 60_000,
    check: (message) => {
      checked.push(bodyOf(message));
      return 'commit';
    },
  });
  const raw = new RemotingClient();
  try {
    await producer.start();
    await connectionsBecome(1);
    // The broker forgets both groups of the shared client id; the connection stays.
    const extFields = { clientID: consumer.clientId, producerGroup, consumerGroup };
    const response = await raw.invoke(broker.address, { code: REQUEST_CODE.UNREGISTER_CLIENT, extFields }, WAIT_MS);
    assert.equal(response.code, RESPONSE_CODE.SUCCESS);
    await producer.sendInTransaction({ topic: TOPIC, body: 'after unregistering' }, () => 'unknown');
    await waitFor('the check-back', WAIT_MS, () => checked.includes('after unregistering'));
    await pollUntil('the consumer registered again', WAIT_MS, async () => {
      const members = await admin.consumerConnections(consumerGroup);
      return members.some((member) => member.clientId === consumer.clientId) || undefined;
    });
    await waitFor('the committed message', WAIT_MS, () => received.some((m) => bodyOf(m) === 'after unregistering'));
  } finally {
    raw.close();
    await producer.shutdown();
    await consumer.shutdown();
  }
});

/** A member of the process's shared instance for `nameServer`, as producers and consumers join it. */
function sharedMember(consumerGroup: string): ClientInstance {
  const handlers = { heartbeat: () => ({ producerDataSet: [], consumerDataSet: [] }) };
  return new ClientInstance({ nameServer }, handlers, { consumerGroup });
}

/** A pull of queue 0 of `topic` from its start, which the broker holds up to `suspendMs` while the queue is empty. */
function heldPull(member: ClientInstance, group: string, topic: string, timeoutMs: number): Promise<RemotingCommand> {
  const extFields = {
    [F.consumerGroup]: group,
    [F.topic]: topic,
    [F.queueId]: 0,
    [F.queueOffset]: 0,
    [F.maxMsgNums]: 32,
    [F.sysFlag]: PULL_SYS_FLAG.suspend | PULL_SYS_FLAG.subscription,
    [F.commitOffset]: -1,
    [F.suspendTimeoutMillis]: WAIT_MS,
    [F.subscription]: '*',
    [F.subVersion]: 0,
  };
  return member.invoke(broker.address, { code: REQUEST_CODE.PULL_MESSAGE, extFields }, timeoutMs);
}

test("a request timing out on a live shared connection fails alone: the other members' requests carry on over the same connection", async () => {
  await connectionsBecome(0);
  const [slowGroup, waitingGroup] = [freshGroup('TimesOut'), freshGroup('KeepsWaiting')];
  const slow = sharedMember(slowGroup);
  const waiting = sharedMember(waitingGroup);
  const producer = new Producer({ nameServer, group: freshGroup('WakesTheWaiting') });
  assert.equal(slow.clientId, waiting.clientId, 'the two members share one instance');
  try {
    await producer.start();
    await producer.send({ topic: TOPIC, body: 'connects' });
    const page = await connectionsBecome(1);
    // Its failure is asserted below, not left unhandled meanwhile.
    const waited = heldPull(waiting, waitingGroup, HELD_TOPIC, WAIT_MS * 2).catch((error: unknown) => error);
    let slowSettled = false;
    const timedOut = heldPull(slow, slowGroup, IDLE_TOPIC, LIVE_TIMEOUT_MS).finally(() => (slowSettled = true));
    // A frame arrives on the connection after the slow request was sent: the connection is alive.
    await producer.send({ topic: TOPIC, body: 'the connection is alive' });
    assert.equal(slowSettled, false, 'the live answer came back before the slow request timed out');
    await assert.rejects(timedOut, { code: 'TIMEOUT' });
    await producer.send({ topic: HELD_TOPIC, body: 'wakes the waiting pull' });
    const answered = await waited;
    assert.ok(!(answered instanceof Error), `the held pull of the other member failed: ${String(answered)}`);
    assert.equal(
      (answered as RemotingCommand).code,
      RESPONSE_CODE.SUCCESS,
      'the held pull of the other member is answered, not failed',
    );
    const after = await scrapeMetrics(broker.httpPort!);
    assert.equal(metricSample(after, CONNECTIONS), metricSample(page, CONNECTIONS));
  } finally {
    await producer.shutdown();
    await slow.close();
    await waiting.close();
  }
  await connectionsBecome(0);
});

test('a shared connection on which nothing arrives after a request is dropped when it times out, and the next request reconnects', async () => {
  // A peer that accepts and never answers: a broker gone without a FIN, a blackholed link.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => {
    sockets.push(socket);
    socket.resume(); // Reads (and drops) the requests, so the client's close is seen.
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const address = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  const member = sharedMember(freshGroup('Blackholed'));
  try {
    const ask = (): Promise<RemotingCommand> =>
      member.invoke(address, { code: REQUEST_CODE.GET_BROKER_RUNTIME_INFO }, SILENT_TIMEOUT_MS);
    await assert.rejects(ask(), { code: 'TIMEOUT' });
    await waitFor('the silent connection closed by the client', WAIT_MS, () => sockets[0]?.destroyed === true);
    await assert.rejects(ask(), { code: 'TIMEOUT' });
    assert.equal(sockets.length, 2, 'the second request opened a new connection');
  } finally {
    await member.close();
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test("a consumer's shutdown has the broker answer its held pulls at once, though the shared connection stays open; the other consumer's stay held", async () => {
  await connectionsBecome(0);
  const heldPulls = (holds: (held: number) => boolean, timeoutMs: number): Promise<string> =>
    metricUntil(broker.httpPort!, 'tributary_pulls_held', {}, (held) => held !== undefined && holds(held), timeoutMs);
  // Each consumer holds a pull on each queue of the topic and of its group's retry topic.
  const perConsumer = 4 + RETRY_QUEUE_COUNT;
  await heldPulls((held) => held === 0, WAIT_MS);
  const producer = new Producer({ nameServer, group: freshGroup('StaysOn') });
  const leaving: ReceivedMessage[] = [];
  const staying: ReceivedMessage[] = [];
  const consumer = await consumerOf(freshGroup('ShutsDown'), leaving);
  const other = await consumerOf(freshGroup('KeepsPulling'), staying);
  try {
    await producer.start();
    await producer.send({ topic: TOPIC, body: 'before the shutdown' });
    for (const received of [leaving, staying])
      await waitFor('the message', WAIT_MS, () => received.some((m) => bodyOf(m) === 'before the shutdown'));
    await connectionsBecome(1);
    await heldPulls((held) => held === 2 * perConsumer, WAIT_MS);
    await consumer.shutdown();
    await heldPulls((held) => held === perConsumer, RELEASE_WAIT_MS);
    await connectionsBecome(1);
    await producer.send({ topic: TOPIC, body: 'after the shutdown' });
    await waitFor('the message after', WAIT_MS, () => staying.some((m) => bodyOf(m) === 'after the shutdown'));
  } finally {
    await consumer.shutdown();
    await other.shutdown();
    await producer.shutdown();
  }
  await connectionsBecome(0);
});

test("a consumer created and never started does not keep the shared instance's connections open, and works when started later", async () => {
  await connectionsBecome(0);
  const received: ReceivedMessage[] = [];
  const idle = new PushConsumer({ nameServer, group: freshGroup('NeverStarted'), subscriptions: { [TOPIC]: '*' } });
  const first = new Producer({ nameServer, group: freshGroup('OnlyStarted') });
  await first.start();
  const idleClientId = idle.clientId; // It joins the shared instance here, unstarted.
  let second: Producer | undefined;
  try {
    await first.send({ topic: TOPIC, body: 'opens the connection' });
    await connectionsBecome(1);
    await first.shutdown();
    await connectionsBecome(0);
    await idle.start((message) => void received.push(message));
    assert.notEqual(idle.clientId, idleClientId, 'it started on a fresh instance');
    second = new Producer({ nameServer, group: freshGroup('AfterTheIdle') });
    await second.start();
    await second.send({ topic: TOPIC, body: 'to the late starter' });
    await waitFor('the message', WAIT_MS, () => received.some((m) => bodyOf(m) === 'to the late starter'));
  } finally {
    await first.shutdown();
    await second?.shutdown();
    await idle.shutdown();
  }
  await connectionsBecome(0);
});

test('shutting down a consumer never started lets go of the shared instance it joined', async () => {
  const before = CLIENT_INSTANCES.size;
  const unused = new PushConsumer({ nameServer, group: freshGroup('Unused'), subscriptions: { [TOPIC]: '*' } });
  assert.ok(unused.clientId.length > 0);
  assert.equal(CLIENT_INSTANCES.size, before + 1);
  await unused.shutdown();
  assert.equal(CLIENT_INSTANCES.size, before);
});

test.run();
