// Who shares a client instance (client/client-instance-registry.ts): users of one process with
// the same name servers, instanceName, credentials, TLS and header encoding, unless a group
// would appear twice; the instance outlives each started member but the last (members never
// started do not hold it). Starting, joining and leaving
// without unregistering sends nothing, so no broker is needed: the client id tells instances
// apart.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { ClientInstance, type ClientGroups } from '../../client/client-instance.js';
import type { ClientOptions } from '../../client/client-options.js';

const NAME_SERVER = '127.0.0.1:1';
const handlers = { heartbeat: () => ({ producerDataSet: [], consumerDataSet: [] }) };
let serial = 0;
/** Options no other test of this process uses, so each test starts with no shared instance. */
const freshOptions = (): ClientOptions => ({ nameServer: NAME_SERVER, instanceName: `registry-${++serial}` });
const user = (options: ClientOptions, groups?: ClientGroups): ClientInstance =>
  new ClientInstance(options, handlers, groups);

test('registry: a producer and a consumer with the same options share one instance; a group given twice gets its own', async () => {
  const options = freshOptions();
  const producer = user(options, { producerGroup: 'Orders' });
  const consumer = user({ ...options, requestTimeoutMs: 9000 }, { consumerGroup: 'Billing' });
  const secondBilling = user(options, { consumerGroup: 'Billing' });
  const billingProducer = user(options, { producerGroup: 'Billing' });
  assert.equal(consumer.clientId, producer.clientId);
  assert.notEqual(secondBilling.clientId, producer.clientId);
  assert.equal(billingProducer.clientId, producer.clientId, 'a producer group and a consumer group may share a name');
  assert.equal(consumer.requestTimeoutMs, 9000, 'each member keeps its own request timeout');
  for (const member of [producer, consumer, secondBilling, billingProducer]) await member.close();
});

test('registry: a distinct instanceName, name server list, credentials, TLS or header encoding gives another instance', async () => {
  const options = freshOptions();
  const first = user(options, { producerGroup: 'P' });
  const others = [
    user({ ...options, instanceName: `${String(options.instanceName)}-other` }, { consumerGroup: 'C' }),
    user({ ...options, nameServer: `${NAME_SERVER};127.0.0.1:2` }, { consumerGroup: 'C' }),
    user({ ...options, credentials: { accessKey: 'ak', secretKey: 'sk' } }, { consumerGroup: 'C' }),
    user({ ...options, tls: { rejectUnauthorized: false } }, { consumerGroup: 'C' }),
    user({ ...options, jsonHeaders: true }, { consumerGroup: 'C' }),
  ];
  for (const other of others) assert.notEqual(other.clientId, first.clientId);
  assert.equal(new Set(others.map((other) => other.clientId)).size, others.length);
  // The same name servers in another order are the same list.
  const reordered = user({ ...options, nameServer: [NAME_SERVER] }, { consumerGroup: 'C' });
  assert.equal(reordered.clientId, first.clientId);
  for (const member of [first, reordered, ...others]) await member.close();
});

test('registry: the instance outlives a member that leaves; after the last, a newcomer gets a new one', async () => {
  const options = freshOptions();
  const producer = user(options, { producerGroup: 'P' });
  const consumer = user(options, { consumerGroup: 'C' });
  producer.start();
  consumer.start();
  const shared = producer.clientId;
  assert.equal(consumer.clientId, shared);
  await producer.close();
  await assert.rejects(producer.invoke(NAME_SERVER, { code: 34 }), { code: 'SHUT_DOWN' });
  const joiner = user(options, { producerGroup: 'P' });
  assert.equal(joiner.clientId, shared, 'the group left with its producer, so a new producer of it joins');
  await consumer.close();
  await joiner.close();
  const newcomer = user(options, { consumerGroup: 'C' });
  assert.notEqual(newcomer.clientId, shared);
  await newcomer.close();
});

test('registry: a member never started does not hold the instance: once the started ones left, it starts on a fresh one', async () => {
  const options = freshOptions();
  const started = user(options, { producerGroup: 'P' });
  const idle = user(options, { consumerGroup: 'C' });
  started.start();
  const shared = idle.clientId;
  assert.equal(started.clientId, shared);
  await started.close();
  idle.start();
  assert.notEqual(idle.clientId, shared, 'the instance it had joined closed with the last started member');
  const joiner = user(options, { producerGroup: 'P' });
  assert.equal(joiner.clientId, idle.clientId, 'the started one holds the fresh instance');
  await joiner.close();
  await idle.close();
});

test('registry: a user without groups (Admin, IdClient) always gets a private instance', async () => {
  const options = freshOptions();
  const producer = user(options, { producerGroup: 'P' });
  const admin = user(options);
  assert.notEqual(admin.clientId, producer.clientId);
  await admin.close();
  await producer.close();
});

test('registry: a user that never joined leaves nothing behind and cannot join after closing', async () => {
  const options = freshOptions();
  const never = user(options, { producerGroup: 'P' });
  await never.close();
  assert.throws(() => never.clientId, { code: 'SHUT_DOWN' });
  const producer = user(options, { producerGroup: 'P' });
  assert.ok(producer.clientId);
  await producer.close();
});

test.run();
