// The name server's route table: what brokers register is what clients get, in RocketMQ's
// shape, and brokers leave it when they expire or their connection closes.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { RouteInfoManager, type BrokerRegistration } from '../../namesrv/route-info-manager.js';

function registration(brokerName: string, address: string, topics: string[]): BrokerRegistration {
  return {
    clusterName: 'DefaultCluster',
    brokerName,
    brokerAddress: address,
    brokerId: 0,
    topics: topics.map((topicName) => ({ topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6 })),
    dataVersion: { timestamp: 1, counter: 1 },
  };
}

test('route-info: a registered topic routes to its broker in the shape RocketMQ clients parse', () => {
  const routes = new RouteInfoManager();
  routes.register(registration('broker-a', '127.0.0.1:10911', ['orders', '%RETRY%billing']), 1);
  const route = routes.route('%RETRY%billing')!;
  assert.deepEqual(route.brokerDatas, [
    { cluster: 'DefaultCluster', brokerName: 'broker-a', brokerAddrs: { '0': '127.0.0.1:10911' } },
  ]);
  assert.deepEqual(route.queueDatas, [
    { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
  ]);
  assert.equal(routes.route('unknown'), undefined);
});

test('route-info: a broker silent past the expiry leaves every route; the others stay', () => {
  let now = 0;
  const routes = new RouteInfoManager(() => now);
  routes.register(registration('broker-a', 'a:1', ['orders']), 1);
  now = 60_000;
  routes.register(registration('broker-b', 'b:1', ['orders']), 2);
  now = 121_000;
  assert.deepEqual(routes.expire(120_000), ['a:1']);
  assert.deepEqual(
    routes.route('orders')!.brokerDatas.map((b) => b.brokerName),
    ['broker-b'],
  );
});

test('route-info: a closed registration connection drops its broker at once', () => {
  const routes = new RouteInfoManager();
  routes.register(registration('broker-a', 'a:1', ['orders']), 7);
  routes.connectionClosed(7);
  assert.equal(routes.route('orders'), undefined);
});

test('route-info: a topic no longer registered by its broker disappears from routes', () => {
  const routes = new RouteInfoManager();
  routes.register(registration('broker-a', 'a:1', ['orders', 'old']), 1);
  routes.register(registration('broker-a', 'a:1', ['orders']), 1);
  assert.equal(routes.route('old'), undefined);
  assert.ok(routes.route('orders') !== undefined);
});

test('route-info: a promoted replica takes broker id 0 with a newer epoch; the deposed master cannot take it back, and its expiry leaves the new master routed', () => {
  let now = 0;
  const routes = new RouteInfoManager(() => now);
  const as = (address: string, brokerId: number, masterEpoch?: number): BrokerRegistration => ({
    ...registration('broker-a', address, ['orders']),
    brokerId,
    ...(masterEpoch === undefined ? {} : { masterEpoch }),
  });
  assert.equal(routes.register(as('a:1', 0, 5), 1), true);
  assert.equal(routes.register(as('b:1', 2), 2), true);
  now = 1000;
  // b is elected: it leaves id 2 and takes id 0.
  assert.equal(routes.register(as('b:1', 0, 9), 2), true);
  assert.deepEqual(routes.route('orders')!.brokerDatas[0]!.brokerAddrs, { '0': 'b:1' });
  // a, cut off, still registers as master of epoch 5: refused, the route unchanged.
  assert.equal(routes.register(as('a:1', 0, 5), 1), false);
  assert.equal(routes.register(as('a:1', 0), 1), false);
  assert.deepEqual(routes.route('orders')!.brokerDatas[0]!.brokerAddrs, { '0': 'b:1' });
  // a's old registration expires: b stays the master.
  now = 1500;
  routes.expire(1000);
  assert.deepEqual(routes.route('orders')!.brokerDatas[0]!.brokerAddrs, { '0': 'b:1' });
});

test.run();
