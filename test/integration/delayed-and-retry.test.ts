// Retries, dead letters and delayed delivery end to end, with Tributary's own client against
// real broker processes on short delay levels (TEST_DELAY_LEVELS_MS: level L waits 200 × L ms,
// so a first retry, level 3, comes back after 600 ms).
//
// - A handler that fails twice (once throwing, once returning 'retry') gets the message back
//   twice through %RETRY%<group>, with reconsumeTimes 1 and 2, after the level 3 and 4 delays.
// - A handler that always fails sends the message to %DLQ%<group> after maxReconsumeTimes,
//   recording its origin; Admin lists it, re-sends it, and the group consumes it again.
// - `tributary dlq list|resend` do the same from the command line.
// - 1,000 delayed messages (all 18 levels and deliverAt times) are each stored once in their
//   topic, never before their time, across a broker SIGKILL and restart in the middle.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { Producer, type PushConsumer, type ReceivedMessage } from '../../client/index.js';
import { TEST_DELAY_LEVELS_MS } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';
import { seededRandom, type SeededRandom } from '../support/seeded-random.js';

/** dist/test/integration/x.test.js -> bin/tributary.js at the repository root. */
const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const CLI_TIMEOUT_MS = 20_000;
const STEP_TIMEOUT_MS = 15_000;
/** A retry's level is 3 + the reconsume count before it (RocketMQ). */
const RETRY_LEVEL_BASE = 3;

let fixture: MessagingFixture;

test.before(async () => {
  fixture = await startMessaging('retry', { topics: { RetryFlaky: 1, RetryPoison: 1, RetryCli: 1 } });
});

test.after(async () => {
  await fixture.close();
});

interface Delivery {
  readonly message: ReceivedMessage;
  readonly atMs: number;
}

async function sendOne(topic: string, body: string): Promise<string> {
  const producer = new Producer({ nameServer: fixture.nameServer, group: `${topic}-producer` });
  await producer.start();
  try {
    return (await producer.send({ topic, body, tags: 'T', keys: [body] })).msgId;
  } finally {
    await producer.shutdown();
  }
}

async function consumeWith(
  topic: string,
  group: string,
  maxReconsumeTimes: number,
  handler: (message: ReceivedMessage) => unknown,
): Promise<{ consumer: PushConsumer; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const { consumer } = await recordingConsumer(
    { nameServer: fixture.nameServer, group, subscriptions: { [topic]: '*' }, consumeFrom: 'first', maxReconsumeTimes },
    (message) => {
      deliveries.push({ message, atMs: Date.now() });
      return handler(message);
    },
  );
  return { consumer, deliveries };
}

test('retry: a handler failing twice gets the message back twice (reconsumeTimes 1, 2) after levels 3 and 4, then succeeds', async () => {
  let failures = 0;
  const { consumer, deliveries } = await consumeWith('RetryFlaky', 'flaky-group', 5, () => {
    failures++;
    if (failures === 1) throw new Error('first attempt fails');
    if (failures === 2) return 'retry';
    return 'success';
  });
  try {
    const msgId = await sendOne('RetryFlaky', 'flaky-1');
    await waitFor('three deliveries', STEP_TIMEOUT_MS, () => deliveries.length >= 3);
    await consumer.shutdown();
    assert.equal(deliveries.length, 3, 'a successful delivery ends the retries');
    assert.deepEqual(
      deliveries.map((d) => d.message.reconsumeTimes),
      [0, 1, 2],
    );
    for (const { message } of deliveries) {
      assert.equal(message.msgId, msgId, 'a retry keeps the producer msgId');
      assert.equal(message.topic, 'RetryFlaky', 'a retry shows its original topic');
      assert.equal(message.body.toString(), 'flaky-1');
    }
    for (const retry of [1, 2]) {
      const waited = deliveries[retry]!.atMs - deliveries[retry - 1]!.atMs;
      const delay = TEST_DELAY_LEVELS_MS[RETRY_LEVEL_BASE + retry - 2]!;
      assert.ok(waited >= delay, `retry ${retry} came back after ${waited} ms, its level waits ${delay} ms`);
      console.log(`  retry ${retry}: back after ${waited} ms (level delay ${delay} ms)`);
    }
    assert.deepEqual(await fixture.admin.dlqMessages('flaky-group'), [], 'nothing dead');
  } finally {
    await consumer.shutdown();
  }
});

test('dead letters: a message failing past maxReconsumeTimes (2) lands in %DLQ% with its origin; resent, it is consumed', async () => {
  let healed = false;
  const group = 'poison-group';
  const { consumer, deliveries } = await consumeWith('RetryPoison', group, 2, () => {
    if (!healed) throw new Error('always fails');
  });
  try {
    const msgId = await sendOne('RetryPoison', 'poison-1');
    const [dead, ...more] = await pollUntil('a dead letter', STEP_TIMEOUT_MS, async () => {
      const letters = await fixture.admin.dlqMessages(group);
      return letters.length > 0 ? letters : undefined;
    });
    assert.equal(more.length, 0);
    assert.deepEqual(
      deliveries.map((d) => d.message.reconsumeTimes),
      [0, 1, 2],
      'delivered 1 + maxReconsumeTimes times',
    );
    assert.equal(dead!.originTopic, 'RetryPoison');
    assert.equal(dead!.originMsgId, msgId);
    assert.equal(dead!.reconsumeTimes, 3, 'three deliveries failed');
    assert.equal(dead!.message.topic, `%DLQ%${group}`);
    assert.equal(dead!.message.msgId, msgId);
    assert.equal(dead!.message.body.toString(), 'poison-1');
    assert.equal(dead!.message.tags, 'T');
    const properties = dead!.message.properties;
    assert.equal(properties.DLQ_ORIGIN_TOPIC, 'RetryPoison');
    assert.equal(properties.DLQ_ORIGIN_MESSAGE_ID, msgId);
    assert.equal(properties.DLQ_RECONSUME_TIMES, '3');
    assert.equal(properties.DELAY, undefined, 'a dead letter is not delayed');

    healed = true;
    assert.equal(await fixture.admin.resendDeadLetter(group, 'F'.repeat(32)), undefined, 'an unknown id');
    const resent = await fixture.admin.resendDeadLetter(group, msgId);
    assert.equal(resent?.msgId, msgId);
    assert.equal(resent?.originTopic, 'RetryPoison');
    await waitFor('the resent message', STEP_TIMEOUT_MS, () => deliveries.length >= 4);
    const again = deliveries[3]!.message;
    assert.equal(again.msgId, msgId);
    assert.equal(again.topic, 'RetryPoison', 'consumed under its original topic');
    assert.equal(again.reconsumeTimes, 0, 'the reconsume count starts over');
    assert.equal(again.body.toString(), 'poison-1');
    assert.equal(again.properties.DLQ_ORIGIN_TOPIC, undefined, 'no dead-letter marks on the resent copy');
    assert.equal((await fixture.admin.dlqMessages(group)).length, 1, 'the dead letter stays listed');
  } finally {
    await consumer.shutdown();
  }
});

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(args: readonly string[]): Promise<CliResult> {
  const env = { ...process.env };
  delete env.TRIBUTARY_NAMESRV;
  delete env.TRIBUTARY_DATA;
  const child = spawn(process.execPath, [CLI_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('cli: dlq list shows a dead letter and its origin; dlq resend gives it back to the group; mistakes fail', async () => {
  let healed = false;
  const group = 'cli-dlq-group';
  const { consumer, deliveries } = await consumeWith('RetryCli', group, 0, () => {
    if (!healed) throw new Error('fails');
  });
  const namesrv = ['--namesrv', fixture.nameServer];
  try {
    const msgId = await sendOne('RetryCli', 'cli-1');
    await pollUntil('a dead letter', STEP_TIMEOUT_MS, async () =>
      (await fixture.admin.dlqMessages(group)).length > 0 ? true : undefined,
    );
    const listed = await runCli(['dlq', 'list', '--group', group, '--json', ...namesrv]);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.equal(lines.length, 1, listed.stdout);
    const view = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(view.originTopic, 'RetryCli');
    assert.equal(view.originMsgId, msgId);
    assert.equal(view.msgId, msgId);
    assert.equal(view.reconsumeTimes, 1);
    assert.equal(view.body, 'cli-1');
    const table = await runCli(['dlq', 'list', '--group', group, ...namesrv]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^BROKER +OFFSET +MESSAGE ID +ORIGIN TOPIC +FAILURES +DEAD SINCE +BODY\n/);
    assert.match(table.stdout, new RegExp(`${msgId} +RetryCli +1 +\\S+ +"cli-1"\\n$`));
    const empty = await runCli(['dlq', 'list', '--group', 'nobody-group', ...namesrv]);
    assert.equal(empty.stdout, "no dead letters in group 'nobody-group'\n");

    healed = true;
    const resent = await runCli(['dlq', 'resend', '--group', group, '--id', msgId, ...namesrv]);
    assert.equal(resent.code, 0, resent.stderr);
    assert.match(resent.stdout, new RegExp(`^resent ${msgId} to %RETRY%${group} on \\S+ \\(origin RetryCli\\)\\n$`));
    await waitFor('the resent message', STEP_TIMEOUT_MS, () => deliveries.length >= 2);
    assert.equal(deliveries[1]!.message.msgId, msgId);
    assert.equal(deliveries[1]!.message.topic, 'RetryCli');

    const unknown = await runCli(['dlq', 'resend', '--group', group, '--id', 'nope', ...namesrv]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, `tributary: no dead letter with id 'nope' in group '${group}'\n`);
    const usage = await runCli(['dlq', 'list', ...namesrv]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^tributary: --group is required/);
  } finally {
    await consumer.shutdown();
  }
});

/** p-th percentile (0..1) of `values`, nearest rank. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/** What a delayed message's body says: 'L<level>-<i>' or 'T<deliverAt>-<i>'. */
function dueOf(message: ReceivedMessage): { kind: 'level' | 'deliverAt'; dueMs: number } {
  const [head] = message.body.toString().split('-');
  const value = Number(head!.slice(1));
  // A level's due time is the held record's store time + its delay; born is a lower bound.
  if (head!.startsWith('L')) return { kind: 'level', dueMs: message.bornTimestamp + TEST_DELAY_LEVELS_MS[value - 1]! };
  return { kind: 'deliverAt', dueMs: value };
}

const DELAYED_TOTAL = 1000;
const SEND_WINDOW = 100;
/** Of the rest, this share has a deliverAt, the others a random level. */
const DELIVER_AT_SHARE = 0.1;
/** deliverAt messages all due at the same instant, with the SIGKILL right after it. */
const BURST_COUNT = 200;
const BURST_AHEAD_MS = 2500;
const BURST_KILL_SPREAD_MS = 5;
const DELIVER_AT_AHEAD_MS_MIN = 300;
const DELIVER_AT_AHEAD_MS_MAX = 4300;
/** Lateness bounds for messages due while the broker was up: generous, for loaded CI machines. */
const STORE_LATENESS_MS_MAX = 500;
const RECEIVE_LATENESS_MS_MAX = 1500;

/** A received message and when it arrived. */
interface Arrival {
  readonly message: ReceivedMessage;
  readonly atMs: number;
}

/**
 * Sends DELAYED_TOTAL messages SEND_WINDOW at a time: BURST_COUNT all due at `burstDueMs`, then
 * a seeded mix of deliverAt times and delay levels.
 */
async function sendDelayedMix(producer: Producer, random: SeededRandom, burstDueMs: number): Promise<void> {
  const send = (i: number): Promise<unknown> => {
    if (i < BURST_COUNT) return producer.send({ topic: 'Delayed', body: `T${burstDueMs}-${i}`, deliverAt: burstDueMs });
    if (random.next() < DELIVER_AT_SHARE) {
      const deliverAt = Date.now() + random.between(DELIVER_AT_AHEAD_MS_MIN, DELIVER_AT_AHEAD_MS_MAX);
      return producer.send({ topic: 'Delayed', body: `T${deliverAt}-${i}`, deliverAt });
    }
    const level = 1 + random.int(TEST_DELAY_LEVELS_MS.length);
    return producer.send({ topic: 'Delayed', body: `L${level}-${i}`, delayLevel: level });
  };
  for (let i = 0; i < DELAYED_TOTAL; i += SEND_WINDOW) {
    await Promise.all(Array.from({ length: SEND_WINDOW }, (_, j) => send(i + j)));
  }
}

/** SIGKILLs the broker a few seeded ms after the burst fell due, and restarts it. */
async function killAmidBurst(
  fixture: MessagingFixture,
  random: SeededRandom,
  burstDueMs: number,
  received: readonly Arrival[],
): Promise<{ killedAtMs: number; readyAtMs: number }> {
  const killAtMs = burstDueMs + 1 + random.int(BURST_KILL_SPREAD_MS);
  await new Promise((resolve) => setTimeout(resolve, killAtMs - Date.now()));
  const killedAtMs = Date.now();
  await fixture.broker.kill();
  await fixture.broker.restart();
  const readyAtMs = Date.now();
  console.log(
    `  SIGKILL ${killedAtMs - burstDueMs} ms after the burst fell due, with ${received.length} received; ` +
      `broker back after ${readyAtMs - killedAtMs} ms`,
  );
  return { killedAtMs, readyAtMs };
}

/** Once in the topic: a fresh group reads every record of it, each message exactly once. */
async function expectStoredOnce(fixture: MessagingFixture, burstDueMs: number, killedAtMs: number): Promise<void> {
  const stored = (await fixture.admin.topicStatus('Delayed')).reduce((sum, q) => sum + q.maxOffset, 0);
  const auditing = await recordingConsumer({
    nameServer: fixture.nameServer,
    group: 'delayed-audit',
    subscriptions: { Delayed: '*' },
    consumeFrom: 'first',
  });
  try {
    await waitFor('the audit read', STEP_TIMEOUT_MS, () => auditing.received.length >= stored);
    const copies = new Map<string, number>();
    for (const message of auditing.received) {
      const id = message.body.toString();
      copies.set(id, (copies.get(id) ?? 0) + 1);
    }
    assert.equal(copies.size, DELAYED_TOTAL, 'every message stored');
    assert.deepEqual(
      [...copies].filter(([, count]) => count > 1),
      [],
      'no message stored twice',
    );
    assert.equal(stored, DELAYED_TOTAL, 'the topic holds exactly one copy of each');
    const burst = auditing.received.filter((message) => message.body.toString().startsWith(`T${burstDueMs}-`));
    const beforeKill = burst.filter((message) => message.storeTimestamp < killedAtMs).length;
    console.log(`  burst: ${beforeKill} of ${BURST_COUNT} delivered before the kill, the rest after the restart`);
  } finally {
    await auditing.consumer.shutdown();
  }
}

/**
 * No message stored or received before it was due, and those due while the broker was up
 * stored (and, while the consumer was connected, received) within the lateness bounds.
 */
function expectNeverEarlyNorLate(received: readonly Arrival[], killedAtMs: number, readyAtMs: number): void {
  const resumedAtMs = Math.min(...received.filter(({ atMs }) => atMs > readyAtMs).map(({ atMs }) => atMs));
  const storeLate: number[] = [];
  const receiveLate: number[] = [];
  // Due around the crash: delivered once the broker is back, so late by the downtime.
  const downtime = (dueMs: number): boolean => dueMs >= killedAtMs - STORE_LATENESS_MS_MAX && dueMs <= readyAtMs;
  for (const { message, atMs } of received) {
    const { kind, dueMs } = dueOf(message);
    const what = `${message.body.toString()} (${kind}, due ${dueMs})`;
    assert.ok(message.storeTimestamp >= dueMs, `${what} stored ${dueMs - message.storeTimestamp} ms early`);
    assert.ok(atMs >= dueMs, `${what} received ${dueMs - atMs} ms early`);
    if (downtime(dueMs)) {
      assert.ok(message.storeTimestamp <= readyAtMs + STORE_LATENESS_MS_MAX * 4, `${what}: late after restart`);
      continue;
    }
    storeLate.push(message.storeTimestamp - dueMs);
    // Stored before the kill but not yet pulled, or after the restart before the consumer
    // was back: received once it reconnected.
    if (dueMs < killedAtMs - RECEIVE_LATENESS_MS_MAX || dueMs > resumedAtMs) receiveLate.push(atMs - dueMs);
  }
  const summary = (values: number[]): string =>
    `p50 ${percentile(values, 0.5)} ms, p99 ${percentile(values, 0.99)} ms, max ${Math.max(...values)} ms`;
  console.log(`  stored after due (${storeLate.length} due while up): ${summary(storeLate)}`);
  const consumerBack = `consumer back ${resumedAtMs - readyAtMs} ms after the broker`;
  console.log(
    `  received after due (${receiveLate.length} due while connected, ${consumerBack}): ${summary(receiveLate)}`,
  );
  assert.ok(Math.max(...storeLate) <= STORE_LATENESS_MS_MAX, `stored late: ${summary(storeLate)}`);
  assert.ok(percentile(receiveLate, 0.99) <= RECEIVE_LATENESS_MS_MAX, `received late: ${summary(receiveLate)}`);
}

test(`delayed: ${DELAYED_TOTAL} messages over 18 levels and deliverAt are stored once, never early, across a SIGKILL`, async () => {
  const random = seededRandom('delayed-kill');
  const delayedFixture = await startMessaging('delayed', { topics: { Delayed: 4 } });
  const received: Arrival[] = [];
  const live = await recordingConsumer(
    {
      nameServer: delayedFixture.nameServer,
      group: 'delayed-group',
      subscriptions: { Delayed: '*' },
      consumeFrom: 'first',
    },
    (message) => void received.push({ message, atMs: Date.now() }),
  );
  const producer = new Producer({ nameServer: delayedFixture.nameServer, group: 'delayed-producer' });
  try {
    await producer.start();
    // The burst falls due all at once; the kill comes a few ms later, amid its delivery batches.
    const burstDueMs = Date.now() + BURST_AHEAD_MS;
    await sendDelayedMix(producer, random, burstDueMs);
    const { killedAtMs, readyAtMs } = await killAmidBurst(delayedFixture, random, burstDueMs, received);
    const ids = (): Set<string> => new Set(received.map(({ message }) => message.body.toString()));
    await waitFor('every delayed message', 30_000, () => ids().size >= DELAYED_TOTAL);
    await expectStoredOnce(delayedFixture, burstDueMs, killedAtMs);
    console.log(`  live consumer: ${received.length - DELAYED_TOTAL} redelivered by the consumer after the crash`);
    expectNeverEarlyNorLate(received, killedAtMs, readyAtMs);
  } finally {
    await producer.shutdown();
    await live.consumer.shutdown();
    await delayedFixture.close();
  }
});

test.run();
