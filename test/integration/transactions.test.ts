// Transactional messages against real broker processes: commit delivers once, rollback never;
// a transaction left unknown is checked back and the checker's verdict applies; a producer
// killed mid-transaction is answered for by a new producer of its group; a broker SIGKILLed with
// open transactions loses none, delivers none early and checks them after the restart; a
// transaction never decided is checked 15 times, then parked in the check-max topic.
//
// "Nothing more happens" is awaited, not slept for: a canary transaction, sent last and rolled
// back by the checker, proves a check round covered everything sent before it (rounds scan the
// half queue in order, and all checks reach the one producer over one connection in order).
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import {
  Admin,
  ClientError,
  TransactionProducer,
  type ReceivedMessage,
  type TransactionSendResult,
  type TransactionVerdict,
} from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { MessageStore } from '../../storage/index.js';
import type { TransactionChildConfig } from './children/transaction-producer.js';
import { startBrokerProcess, TEST_STORE_OPTIONS, type BrokerProcess } from '../support/broker-processes.js';
import { maxQueueOffset, pollUntil } from '../support/broker-requests.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { seededRandom } from '../support/seeded-random.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./children/transaction-producer.js', import.meta.url));
const CHECK_MAX_TOPIC = 'TRANS_CHECK_MAX_TIME_TOPIC';
/** Short check timing: a transaction is due after 400 ms and checked every 200 ms. */
const BROKER_TIMING = { transactionCheckIntervalMs: 200, transactionTimeoutMs: 400 } as const;
/** Clients re-register quickly after a broker restart. */
const CLIENT_TIMING = { heartbeatIntervalMs: 200, routeRefreshIntervalMs: 1000 } as const;
const WAIT_MS = 15_000;

const bodyOf = (message: ReceivedMessage): string => message.body.toString('utf8');

interface TransactionBroker {
  readonly broker: BrokerProcess;
  readonly nameServer: string;
  readonly dataDirectory: string;
  close(): Promise<void>;
}

async function startTransactionBroker(
  label: string,
  topics: readonly string[],
  options: { transactionCheckMax?: number } = {},
): Promise<TransactionBroker> {
  const directory = temporaryDirectory(label);
  const broker = await startBrokerProcess({ dataDirectory: directory.path, label, ...BROKER_TIMING, ...options });
  const nameServer = broker.nameServerAddress!;
  const admin = new Admin({ nameServer });
  try {
    for (const topic of topics) await admin.createTopic(topic, { queues: 4 });
    await pollUntil('routes of the topics', 10_000, async () => {
      const listed = await admin.listTopics();
      return topics.every((topic) => listed.includes(topic)) || undefined;
    });
  } catch (error) {
    await broker.stop();
    directory.remove();
    throw error;
  } finally {
    await admin.close();
  }
  return {
    broker,
    nameServer,
    dataDirectory: directory.path,
    close: async () => {
      await broker.stop();
      directory.remove();
    },
  };
}

/** A checker that records every check-back and answers by body ('unknown' unless told). */
class RecordingChecker {
  readonly calls: ReceivedMessage[] = [];
  readonly verdicts = new Map<string, TransactionVerdict>();
  fallback: TransactionVerdict = 'unknown';

  readonly check = (message: ReceivedMessage): TransactionVerdict => {
    this.calls.push(message);
    return this.verdicts.get(bodyOf(message)) ?? this.fallback;
  };

  checksOf(body: string): ReceivedMessage[] {
    return this.calls.filter((message) => bodyOf(message) === body);
  }
}

async function startProducer(
  nameServer: string,
  group: string,
  checker: RecordingChecker,
): Promise<TransactionProducer> {
  const producer = new TransactionProducer({ nameServer, group, check: checker.check, ...CLIENT_TIMING });
  await producer.start();
  return producer;
}

async function startConsumer(nameServer: string, group: string, topic: string) {
  return recordingConsumer({
    nameServer,
    group,
    subscriptions: { [topic]: '*' },
    consumeFrom: 'first',
    ...CLIENT_TIMING,
  });
}

let canaries = 0;

/** Resolves once a check round has covered every transaction this producer sent before. */
async function checkRoundPassed(
  producer: TransactionProducer,
  checker: RecordingChecker,
  topic: string,
): Promise<void> {
  const canary = `canary-${++canaries}`;
  checker.verdicts.set(canary, 'rollback');
  await producer.sendInTransaction({ topic, body: canary }, () => 'unknown');
  await waitFor(`a check of ${canary}`, WAIT_MS, () => checker.checksOf(canary).length > 0);
}

function withoutCanaries(bodies: readonly string[]): string[] {
  return bodies.filter((body) => !body.startsWith('canary-'));
}

let shared: TransactionBroker;

test.before(async () => {
  shared = await startTransactionBroker('tx', ['tx-commit', 'tx-rollback', 'tx-unknown', 'tx-orphan', 'tx-end']);
});

test.after(async () => {
  await shared.close();
});

test('transactions: committed transactions are delivered exactly once, never checked back (n=20)', async () => {
  const checker = new RecordingChecker();
  const producer = await startProducer(shared.nameServer, 'tx-commit-p', checker);
  const { consumer, received } = await startConsumer(shared.nameServer, 'tx-commit-c', 'tx-commit');
  try {
    const bodies = Array.from({ length: 20 }, (_, i) => `commit-${i}`);
    const sent = await Promise.all(
      bodies.map((body) => producer.sendInTransaction({ topic: 'tx-commit', body, tags: 'paid' }, () => 'commit')),
    );
    assert.ok(sent.every((result) => result.verdict === 'commit'));
    await waitFor('20 committed messages', WAIT_MS, () => received.length >= 20);
    await checkRoundPassed(producer, checker, 'tx-commit');
    assert.deepEqual(received.map(bodyOf).sort(), [...bodies].sort(), 'each committed message once');
    assert.deepEqual(withoutCanaries(checker.calls.map(bodyOf)), []);
    const ids = new Map(sent.map((result, i) => [bodies[i]!, result.msgId]));
    for (const message of received) {
      assert.equal(message.msgId, ids.get(bodyOf(message)), 'the producer id survives the commit');
      assert.equal(message.sysFlag & 0xc, 0x8, 'stored as a commit');
      assert.ok(message.preparedTransactionOffset > 0, 'points back at its half message');
      assert.equal(message.tags, 'paid');
      assert.equal(message.properties.TRAN_MSG, undefined);
      assert.equal(message.properties.REAL_TOPIC, undefined);
    }
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test('transactions: rolled back transactions are never delivered nor checked back (n=20)', async () => {
  const checker = new RecordingChecker();
  const producer = await startProducer(shared.nameServer, 'tx-rollback-p', checker);
  const { consumer, received } = await startConsumer(shared.nameServer, 'tx-rollback-c', 'tx-rollback');
  try {
    for (let i = 0; i < 20; i++) {
      const result = await producer.sendInTransaction(
        { topic: 'tx-rollback', body: `rollback-${i}` },
        () => 'rollback',
      );
      assert.equal(result.verdict, 'rollback');
    }
    await producer.sendInTransaction({ topic: 'tx-rollback', body: 'marker' }, () => 'commit');
    await waitFor('the committed marker', WAIT_MS, () => received.some((m) => bodyOf(m) === 'marker'));
    await checkRoundPassed(producer, checker, 'tx-rollback');
    assert.deepEqual(received.map(bodyOf), ['marker']);
    assert.deepEqual(withoutCanaries(checker.calls.map(bodyOf)), []);
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test("transactions: an 'unknown' local transaction is checked back and the checker's commit or rollback applies", async () => {
  const checker = new RecordingChecker();
  checker.verdicts.set('unknown-commit', 'commit');
  checker.verdicts.set('unknown-rollback', 'rollback');
  const producer = await startProducer(shared.nameServer, 'tx-unknown-p', checker);
  const { consumer, received } = await startConsumer(shared.nameServer, 'tx-unknown-c', 'tx-unknown');
  try {
    const sent = new Map<string, TransactionSendResult>();
    for (const body of ['unknown-commit', 'unknown-rollback']) {
      sent.set(body, await producer.sendInTransaction({ topic: 'tx-unknown', body, keys: body }, () => 'unknown'));
    }
    await waitFor('the checked-back commit', WAIT_MS, () => received.some((m) => bodyOf(m) === 'unknown-commit'));
    await waitFor('the checked-back rollback', WAIT_MS, () => checker.checksOf('unknown-rollback').length > 0);
    await checkRoundPassed(producer, checker, 'tx-unknown');
    assert.deepEqual(received.map(bodyOf), ['unknown-commit']);
    for (const [body, result] of sent) {
      const checks = checker.checksOf(body);
      assert.equal(checks.length, 1, `${body} checked once, then settled`);
      const check = checks[0]!;
      assert.equal(check.topic, 'tx-unknown', 'the check carries the real topic');
      assert.equal(check.queueId, result.queueId, 'and the real queue');
      assert.equal(check.msgId, result.msgId);
      assert.deepEqual(check.keys, [body]);
      assert.equal(check.properties.TRANSACTION_CHECK_TIMES, '1');
      assert.equal(check.properties.PGROUP, 'tx-unknown-p');
    }
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test('transactions: a producer SIGKILLed inside its local transaction is answered for by a new producer of the group', async () => {
  const config: TransactionChildConfig = {
    nameServer: shared.nameServer,
    group: 'tx-orphan-p',
    topic: 'tx-orphan',
    body: 'orphan',
  };
  const child = JsonLineChild.spawn(CHILD_SCRIPT, [JSON.stringify(config)], { label: 'tx-producer-child' });
  const { consumer, received } = await startConsumer(shared.nameServer, 'tx-orphan-c', 'tx-orphan');
  const checker = new RecordingChecker();
  checker.verdicts.set('orphan', 'commit');
  let producer: TransactionProducer | undefined;
  try {
    const half = await child.waitFor('the half message', WAIT_MS, (lines) => lines.find((l) => l.event === 'half'));
    await child.terminate('SIGKILL', 0);
    producer = await startProducer(shared.nameServer, 'tx-orphan-p', checker);
    await waitFor('the orphan committed by the new producer', WAIT_MS, () => received.length > 0);
    await checkRoundPassed(producer, checker, 'tx-orphan');
    assert.deepEqual(received.map(bodyOf), ['orphan']);
    assert.equal(received[0]!.msgId, half.msgId);
    assert.equal(checker.checksOf('orphan').length, 1);
  } finally {
    await child.terminate('SIGKILL', 0);
    await consumer.shutdown();
    await producer?.shutdown();
  }
});

test('transactions: END_TRANSACTION must match its half message; a repeated or late verdict changes nothing', async () => {
  const checker = new RecordingChecker();
  const producer = await startProducer(shared.nameServer, 'tx-end-p', checker);
  const { consumer, received } = await startConsumer(shared.nameServer, 'tx-end-c', 'tx-end');
  const remoting = new RemotingClient();
  try {
    await assert.rejects(
      producer.sendInTransaction({ topic: 'tx-end', body: 'delayed', delayLevel: 2 }, () => 'commit'),
      (error: ClientError) => error.code === 'INVALID_ARGUMENT',
    );
    const sent = await producer.sendInTransaction({ topic: 'tx-end', body: 'ended-twice' }, () => 'unknown');
    const header = {
      producerGroup: 'tx-end-p',
      tranStateTableOffset: sent.queueOffset,
      commitLogOffset: Number(BigInt(`0x${sent.offsetMsgId.slice(16)}`)),
      commitOrRollback: 8,
      fromTransactionCheck: false,
      msgId: sent.msgId,
      transactionId: sent.msgId,
    };
    const end = async (changes: Record<string, string | number>): Promise<[number, string | undefined]> => {
      const extFields = { ...header, ...changes };
      const response = await remoting.invoke(
        shared.broker.address,
        { code: REQUEST_CODE.END_TRANSACTION, extFields },
        WAIT_MS,
      );
      return [response.code, response.remark];
    };
    assert.equal((await end({ producerGroup: 'another-group' }))[0], RESPONSE_CODE.SYSTEM_ERROR);
    assert.equal((await end({ tranStateTableOffset: sent.queueOffset + 1 }))[0], RESPONSE_CODE.SYSTEM_ERROR);
    assert.equal((await end({ commitLogOffset: header.commitLogOffset + 1 }))[0], RESPONSE_CODE.SYSTEM_ERROR);
    assert.equal((await end({ commitOrRollback: 4 }))[0], RESPONSE_CODE.MESSAGE_ILLEGAL);
    assert.deepEqual(await end({ commitOrRollback: 0 }), [RESPONSE_CODE.SUCCESS, undefined]);
    assert.deepEqual(await end({}), [RESPONSE_CODE.SUCCESS, undefined]);
    // Acknowledged and ignored; 'settled' once the finished transaction is forgotten.
    for (const commitOrRollback of [8, 12]) {
      const [code, remark] = await end({ commitOrRollback });
      assert.equal(code, RESPONSE_CODE.SUCCESS);
      assert.match(remark ?? '', /^transaction already (committed|settled)$/);
    }
    await waitFor('the committed message', WAIT_MS, () => received.length > 0);
    await checkRoundPassed(producer, checker, 'tx-end');
    assert.deepEqual(received.map(bodyOf), ['ended-twice']);
    assert.deepEqual(withoutCanaries(checker.calls.map(bodyOf)), []);
  } finally {
    remoting.close();
    await consumer.shutdown();
    await producer.shutdown();
  }
});

test('transactions: never decided, a transaction is checked 15 times, then parked in the check-max topic, never delivered', async () => {
  const fixture = await startTransactionBroker('tx-check-max', ['tx-forever']);
  const checker = new RecordingChecker();
  const producer = await startProducer(fixture.nameServer, 'tx-forever-p', checker);
  const { consumer, received } = await startConsumer(fixture.nameServer, 'tx-forever-c', 'tx-forever');
  const remoting = new RemotingClient();
  try {
    const sent = await producer.sendInTransaction({ topic: 'tx-forever', body: 'forever' }, () => 'unknown');
    await waitFor('15 checks', WAIT_MS, () => checker.checksOf('forever').length >= 15);
    await pollUntil('the parked message', WAIT_MS, async () => {
      return (await maxQueueOffset(remoting, fixture.broker.address, CHECK_MAX_TOPIC, 0)) > 0 || undefined;
    });
    await checkRoundPassed(producer, checker, 'tx-forever');
    const checks = checker.checksOf('forever');
    assert.deepEqual(
      checks.map((check) => check.properties.TRANSACTION_CHECK_TIMES),
      Array.from({ length: 15 }, (_, i) => String(i + 1)),
    );
    assert.deepEqual(received, []);
    await fixture.broker.stop();
    const store = await MessageStore.open(path.join(fixture.dataDirectory, 'store'), TEST_STORE_OPTIONS);
    try {
      const parked = store.read(CHECK_MAX_TOPIC, 0, 0, 10).messages;
      assert.equal(parked.length, 1);
      assert.equal(parked[0]!.msgId, sent.msgId);
      assert.equal(parked[0]!.properties.REAL_TOPIC, 'tx-forever');
      assert.equal(parked[0]!.properties.TRANSACTION_CHECK_TIMES, '15');
      assert.equal(parked[0]!.body.toString('utf8'), 'forever');
    } finally {
      await store.close();
    }
  } finally {
    remoting.close();
    await consumer.shutdown();
    await producer.shutdown();
    await fixture.close();
  }
});

test('transactions: a broker SIGKILLed with open transactions loses none, delivers none early, checks them after restart', async () => {
  // checkMax far above the rounds this test can take: it is about the restart, not the limit.
  const fixture = await startTransactionBroker('tx-restart', ['tx-restart'], { transactionCheckMax: 1000 });
  const random = seededRandom('transactions-broker-restart');
  const checker = new RecordingChecker();
  const producer = await startProducer(fixture.nameServer, 'tx-restart-p', checker);
  const { consumer, received } = await startConsumer(fixture.nameServer, 'tx-restart-c', 'tx-restart');
  const delivered = (): string[] => received.map(bodyOf);
  try {
    const kinds: TransactionVerdict[] = ['commit', 'rollback', 'unknown'];
    const byKind = new Map<TransactionVerdict, string[]>(kinds.map((kind) => [kind, []]));
    const total = random.between(30, 60);
    for (let i = 0; i < total; i++) {
      const kind = random.pick(kinds);
      const body = `${kind}-${i}`;
      byKind.get(kind)!.push(body);
      await producer.sendInTransaction({ topic: 'tx-restart', body }, () => kind);
    }
    const [committed, rolledBack, open] = kinds.map((kind) => byKind.get(kind)!);
    console.log(
      `  ${committed!.length} committed, ${rolledBack!.length} rolled back, ${open!.length} open at the kill`,
    );
    await waitFor('the committed ones', WAIT_MS, () => committed!.every((body) => delivered().includes(body)));
    await waitFor('a check of every open one', WAIT_MS, () => open!.every((b) => checker.checksOf(b).length > 0));
    await fixture.broker.kill();
    await fixture.broker.restart();
    const before = new Map(open!.map((body) => [body, checker.checksOf(body).length]));
    await waitFor('checks of every open one after the restart', WAIT_MS, () =>
      open!.every((body) => checker.checksOf(body).length > before.get(body)!),
    );
    await producer.send({ topic: 'tx-restart', body: 'after-restart' });
    await waitFor('a plain message after the restart', WAIT_MS, () => delivered().includes('after-restart'));
    assert.deepEqual(
      delivered().filter((body) => !committed!.includes(body) && body !== 'after-restart'),
      [],
      'nothing open or rolled back was delivered',
    );
    open!.forEach((body, i) => checker.verdicts.set(body, i % 2 === 0 ? 'commit' : 'rollback'));
    const committedLater = open!.filter((_, i) => i % 2 === 0);
    await waitFor('the open ones committed', WAIT_MS, () => committedLater.every((b) => delivered().includes(b)));
    await checkRoundPassed(producer, checker, 'tx-restart');
    const expected = [...committed!, ...committedLater, 'after-restart'].sort();
    assert.deepEqual([...new Set(delivered())].sort(), expected);
    // A consumer may see a message again after a broker restart (offsets committed late), but
    // every delivery of a body must be the same stored message: no transaction stored twice.
    for (const body of expected) {
      const places = new Set(received.filter((m) => bodyOf(m) === body).map((m) => `${m.queueId}:${m.queueOffset}`));
      assert.equal(places.size, 1, `${body} stored once`);
    }
    const settledBeforeKill = [...committed!, ...rolledBack!];
    assert.deepEqual(
      checker.calls.map(bodyOf).filter((body) => settledBeforeKill.includes(body)),
      [],
      'transactions settled before the kill are never checked back after it',
    );
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
    await fixture.close();
  }
});

test.run();
