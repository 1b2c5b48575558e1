// Producers and consumers of one process share one client instance (RocketMQ's
// MQClientInstance): one connection per broker, one heartbeat carrying every group, requests
// from the broker routed to the member of their group, and each member leaving on its own.
// Connections are counted where the broker counts them (tributary_connections_open on its
// /metrics page), group membership where the broker keeps it (its consumer table through
// GET_CONSUMER_CONNECTION_LIST, its producer table through the check-backs it sends).
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { Admin, Producer, PushConsumer, TransactionProducer, type ReceivedMessage } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, TEST_STORE_OPTIONS, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { waitFor } from '../support/messaging-fixture.js';
import { metricUntil } from '../support/metrics-page.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const TOPIC = 'SharedInstanceTopic';
const WAIT_MS = 15_000;
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
  await pollUntil(`route of ${TOPIC}`, 10_000, async () => (await admin.listTopics()).includes(TOPIC) || undefined);
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

test.run();
