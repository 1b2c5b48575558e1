// Admin parity against a live broker and name server (child processes): each command through
// the Admin API and through `node bin/tributary.js ... --json`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { Producer, type BrokerStatus, type ClusterBroker, type GroupSummary } from '../../client/index.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { cliJson, runCli } from '../support/run-cli.js';

const TOPIC = 'AdminOrders';
const DOOMED_TOPIC = 'AdminDoomed';
const GROUP = 'admin-billing';
const RESET_TOPIC = 'AdminResetOrders';
const RESET_GROUP = 'admin-reset-live';
const OFFLINE_GROUP = 'admin-reset-offline';
const RESET_MESSAGES = 10;
const TRACE_TOPIC = 'AdminTraceOrders';
const TRACE_OK_GROUP = 'admin-trace-ok';
const TRACE_FAIL_GROUP = 'admin-trace-fail';
const WAIT_MS = 15_000;
/** Well under the consumer's 20 s rebalance and 5 s commit intervals: "at once". */
const RESET_PICKUP_MS = 4000;

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('admin-parity', {
    topics: { [TOPIC]: 2, [DOOMED_TOPIC]: 2, [RESET_TOPIC]: 2, [TRACE_TOPIC]: 2 },
  });
});

test.after(async () => {
  await fixture?.close();
});

const ns = (): string[] => ['--namesrv', fixture.nameServer];

test('cluster list shows the broker with role, address, version and rate (API and CLI)', async () => {
  const brokers = await fixture.admin.clusterList();
  assert.equal(brokers.length, 1);
  assert.equal(brokers[0]!.role, 'MASTER');
  assert.equal(brokers[0]!.address, fixture.broker.address);
  // BROKER_VERSION is kept equal to package.json's version.
  const packageJson = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.equal(brokers[0]!.version, packageJson.version);
  const cli = await cliJson<{ brokers: ClusterBroker[] }>(['cluster', 'list', ...ns()]);
  assert.equal(cli.brokers[0]!.address, fixture.broker.address);
  assert.equal(cli.brokers[0]!.brokerName, brokers[0]!.brokerName);
  assert.equal(typeof cli.brokers[0]!.putBytesPerSecond, 'number');
});

test('broker status reports runtime info, store figures and limits (API and CLI)', async () => {
  const [status] = await fixture.admin.brokerStatus();
  assert.equal(status!.address, fixture.broker.address);
  for (const key of ['bootTimestamp', 'commitLogMaxOffset', 'diskUsedRatio', 'retentionHours', 'maxMessageBytes'])
    assert.ok(status!.table[key] !== undefined, `missing ${key}`);
  const cli = await cliJson<{ brokers: BrokerStatus[] }>([
    'broker',
    'status',
    '--broker',
    fixture.broker.address,
    ...ns(),
  ]);
  assert.equal(cli.brokers[0]!.table.brokerName, status!.table.brokerName);
  assert.equal(cli.brokers[0]!.table.segmentBytes, String(1024 * 1024));
});

test('group list, describe, and delete refused while the group has live members', async () => {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'admin-producer' });
  await producer.start();
  await producer.send({ topic: TOPIC, body: 'one' });
  const { consumer, received } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: GROUP,
    subscriptions: { [TOPIC]: '*' },
    consumeFrom: 'first',
  });
  try {
    await waitFor('first message consumed', WAIT_MS, () => received.length >= 1);
    const listed = await cliJson<{ groups: GroupSummary[] }>(['group', 'list', ...ns()]);
    assert.ok(
      listed.groups.some((g) => g.group === GROUP && g.members === 1),
      JSON.stringify(listed),
    );
    const described = await cliJson<{
      members: { clientId: string; address: string }[];
      subscriptions: { topic: string }[];
    }>(['group', 'describe', GROUP, ...ns()]);
    assert.equal(described.members.length, 1);
    assert.match(described.members[0]!.address, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      described.subscriptions.map((s) => s.topic).filter((t) => t === TOPIC),
      [TOPIC],
    );
    await assert.rejects(fixture.admin.deleteGroup(GROUP), { code: 'GROUP_HAS_MEMBERS' });
    const refused = await runCli(['group', 'delete', GROUP, ...ns()]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /live members/);
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
  // Offline now: deletion removes the offsets, so the group's progress is gone.
  await pollUntil('group offline', WAIT_MS, async () =>
    (await fixture.admin.describeGroup(GROUP)).online ? undefined : true,
  );
  assert.ok((await fixture.admin.groupProgress(GROUP)).queues.some((q) => q.consumerOffset > 0));
  assert.deepEqual(await cliJson(['group', 'delete', GROUP, ...ns()]), { group: GROUP, deleted: true });
  assert.equal((await fixture.admin.groupProgress(GROUP)).queues.length, 0);
  assert.ok(!(await fixture.admin.listGroups()).some((g) => g.group === GROUP));
});

test('topic delete removes its consume queue files and its name server route at once, for good', async () => {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'admin-doomed-producer' });
  await producer.start();
  for (let i = 0; i < 4; i++) await producer.send({ topic: DOOMED_TOPIC, body: `doomed ${i}` });
  await producer.shutdown();
  const queueDirectory = path.join(fixture.broker.dataDirectory, 'store', 'consumequeue', DOOMED_TOPIC);
  assert.ok(fs.existsSync(queueDirectory), 'the topic has consume queue files before');
  assert.ok((await fixture.admin.listTopics()).includes(DOOMED_TOPIC));
  assert.deepEqual(await cliJson(['topic', 'delete', DOOMED_TOPIC, ...ns()]), { topic: DOOMED_TOPIC, deleted: true });
  assert.ok(!fs.existsSync(queueDirectory), 'consume queue files are gone');
  assert.ok(!(await fixture.admin.listTopics()).includes(DOOMED_TOPIC));
  const status = await runCli(['topic', 'status', DOOMED_TOPIC, ...ns()]);
  assert.equal(status.code, 1);
  assert.match(status.stderr, /does not exist/);
  // A restart neither rebuilds the queues from the commit log nor brings the topic back.
  await fixture.broker.restart();
  await pollUntil('broker back', WAIT_MS, async () =>
    (await fixture.admin.listTopics()).includes(TOPIC) ? true : undefined,
  );
  assert.ok(!fs.existsSync(queueDirectory), 'no queue rebuilt after restart');
  assert.ok(!(await fixture.admin.listTopics()).includes(DOOMED_TOPIC));
});

test('reset-offset to earliest makes a live PushConsumer re-consume at once, without a restart', async () => {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'admin-reset-producer' });
  await producer.start();
  const { consumer, received } = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: RESET_GROUP,
    subscriptions: { [RESET_TOPIC]: '*' },
    consumeFrom: 'first',
  });
  try {
    for (let i = 0; i < RESET_MESSAGES; i++) await producer.send({ topic: RESET_TOPIC, body: `m${i}` });
    await waitFor('first pass', WAIT_MS, () => received.length >= RESET_MESSAGES);
    const declined = await runCli(['group', 'reset-offset', RESET_GROUP, '--to-earliest', ...ns()], { stdin: 'n\n' });
    assert.equal(declined.code, 1);
    assert.match(declined.stderr, /not confirmed/);
    const args = ['group', 'reset-offset', RESET_GROUP, '--to-earliest', '--topic', RESET_TOPIC, '--yes', ...ns()];
    const reset = await cliJson<{ notifiedClients: number; offsets: { offset: number }[] }>(args);
    assert.equal(reset.notifiedClients, 1);
    assert.deepEqual(
      reset.offsets.map((entry) => entry.offset),
      [0, 0],
    );
    await waitFor('second pass after the reset', RESET_PICKUP_MS, () => received.length >= 2 * RESET_MESSAGES);
    const bodies = received.map((message) => message.body.toString()).sort();
    for (let i = 0; i < RESET_MESSAGES; i++) assert.ok(bodies.filter((b) => b === `m${i}`).length >= 2, `m${i} twice`);
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test('reset-offset of a group with no live member writes the offsets (time, offset, latest)', async () => {
  const status = await fixture.admin.topicStatus(RESET_TOPIC);
  const total = status.reduce((sum, queue) => sum + queue.maxOffset, 0);
  assert.ok(total >= RESET_MESSAGES);
  const future = await fixture.admin.resetOffset(OFFLINE_GROUP, { timestamp: Date.now() + 60_000 }, RESET_TOPIC);
  assert.equal(future.notifiedClients, 0);
  assert.deepEqual(
    future.offsets.map((entry) => entry.offset),
    status.map((queue) => queue.maxOffset),
  );
  const cli = await cliJson<{ offsets: { offset: number }[] }>([
    'group',
    'reset-offset',
    OFFLINE_GROUP,
    '--to-offset',
    '1',
    '--topic',
    RESET_TOPIC,
    '--yes',
    ...ns(),
  ]);
  assert.deepEqual(
    cli.offsets.map((entry) => entry.offset),
    status.map((queue) => Math.min(1, queue.maxOffset)),
  );
  const progress = await fixture.admin.groupProgress(OFFLINE_GROUP, RESET_TOPIC);
  assert.deepEqual(
    progress.queues.map((queue) => queue.consumerOffset),
    status.map((queue) => Math.min(1, queue.maxOffset)),
  );
  const usage = await runCli(['group', 'reset-offset', OFFLINE_GROUP, '--to-latest', '--to-earliest', ...ns()]);
  assert.equal(usage.code, 2);
});

test('message trace: stored where, consumed by which group, retries and the dead letter (API and CLI)', async () => {
  const producer = new Producer({ nameServer: fixture.nameServer, group: 'admin-trace-producer' });
  await producer.start();
  const common = { nameServer: fixture.nameServer, subscriptions: { [TRACE_TOPIC]: '*' }, commitIntervalMs: 100 };
  const ok = await recordingConsumer({ ...common, group: TRACE_OK_GROUP });
  const failing = await recordingConsumer({ ...common, group: TRACE_FAIL_GROUP, maxReconsumeTimes: 1 }, () => {
    throw new Error('always fails');
  });
  try {
    const sent = await producer.send({ topic: TRACE_TOPIC, body: 'traced' });
    await waitFor('consumed by the ok group', WAIT_MS, () => ok.received.length >= 1);
    await pollUntil('dead letter', WAIT_MS, async () =>
      (await fixture.admin.dlqMessages(TRACE_FAIL_GROUP)).length > 0 ? true : undefined,
    );
    const trace = await pollUntil('ok group committed', WAIT_MS, async () => {
      const found = await fixture.admin.traceMessage(sent.msgId, TRACE_TOPIC);
      return found?.groups.find((g) => g.group === TRACE_OK_GROUP)?.consumed === true ? found : undefined;
    });
    assert.deepEqual(
      [trace.stored.topic, trace.stored.brokerName, trace.stored.queueId, trace.stored.queueOffset],
      [TRACE_TOPIC, sent.brokerName, sent.queueId, sent.queueOffset],
    );
    assert.equal(trace.stored.offsetMsgId, sent.offsetMsgId);
    assert.ok(trace.groups.some((g) => g.group === TRACE_FAIL_GROUP));
    assert.ok(
      trace.retries.some((copy) => copy.group === TRACE_FAIL_GROUP),
      JSON.stringify(trace),
    );
    assert.deepEqual(
      trace.deadLetters.map((copy) => copy.group),
      [TRACE_FAIL_GROUP],
    );
    // The CLI finds it without --topic, by the offset id as well.
    const cli = await cliJson<{ msgId: string; deadLetters: unknown[] }>([
      'message',
      'trace',
      sent.offsetMsgId,
      ...ns(),
    ]);
    assert.equal(cli.msgId, sent.msgId);
    assert.equal(cli.deadLetters.length, 1);
    const missing = await runCli(['message', 'trace', 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF', ...ns()]);
    assert.equal(missing.code, 1);
  } finally {
    await ok.consumer.shutdown();
    await failing.consumer.shutdown();
    await producer.shutdown();
  }
});

test.run();
