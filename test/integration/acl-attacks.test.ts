// Attacks on access control that a valid account can try (issue 10), each against a real broker
// process with an ACL file: copying records it may not read through CONSUMER_SEND_MSG_BACK,
// taking over another producer group's transactions (ending them, receiving their check-backs),
// and replaying a captured signed request, as another request code or as itself. Each test
// shows the attack refused and nothing changed, and the legitimate path still working.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import {
  Admin,
  Producer,
  TransactionProducer,
  type AccessCredentials,
  type ReceivedMessage,
  type TransactionVerdict,
} from '../../client/index.js';
import { MESSAGE_SYS_FLAG } from '../../protocol/message-sys-flag.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import type { ExtFields, RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { signedExtFields, TRIBUTARY_SIGNED_FIELD } from '../../protocol/request-signature.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil, waitForRoute } from '../support/broker-requests.js';
import { waitFor } from '../support/messaging-fixture.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const ADMIN: AccessCredentials = { accessKey: 'atk-admin', secretKey: 'admin-secret-9a1c' };
/** Producer of ORDERS, in producer group PG_A. */
const OWNER: AccessCredentials = { accessKey: 'atk-owner', secretKey: 'owner-secret-4b2d' };
/** Holds only topic MISC and group MG (and its own producer group PG_B). */
const INTRUDER: AccessCredentials = { accessKey: 'atk-intruder', secretKey: 'intruder-secret-77e0' };
/** May read ORDERS, but its group MG_WIDE subscribes only to MISC. */
const READER: AccessCredentials = { accessKey: 'atk-reader', secretKey: 'reader-secret-31f8' };
/** Holds PUB on PG_A, nothing on ORDERS. */
const GROUP_ONLY: AccessCredentials = { accessKey: 'atk-group-only', secretKey: 'group-only-secret-5c' };
/** requireSignedCode: Tributary's signing only (code, time, nonce). */
const STRICT: AccessCredentials = { accessKey: 'atk-strict', secretKey: 'strict-secret-e2a9' };

const ORDERS = 'atk-orders';
const MISC = 'atk-misc';
const MG = 'atk-mg';
const MG_WIDE = 'atk-mg-wide';
const PG_A = 'atk-pg-a';
const PG_B = 'atk-pg-b';

const STEP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5000;
/** Transactions are due for a check 400 ms after they are sent, and checked every 200 ms. */
const BROKER_TIMING = { transactionCheckIntervalMs: 200, transactionTimeoutMs: 400 } as const;
const CLIENT_TIMING = { heartbeatIntervalMs: 200, routeRefreshIntervalMs: 1000 } as const;
/** A captured request replayed this late is outside the 5 min window of requireSignedCode. */
const STALE_MS = 10 * 60_000;

const ACL_DOCUMENT = {
  accounts: [
    { ...ADMIN, admin: true },
    { ...OWNER, topicPerms: [`${ORDERS}=PUB|SUB`], groupPerms: [`${PG_A}=PUB`] },
    { ...INTRUDER, topicPerms: [`${MISC}=PUB|SUB`], groupPerms: [`${MG}=SUB`, `${PG_B}=PUB`] },
    { ...READER, topicPerms: [`${ORDERS}=SUB`, `${MISC}=SUB`], groupPerms: [`${MG_WIDE}=SUB`] },
    { ...GROUP_ONLY, groupPerms: [`${PG_A}=PUB`] },
    { ...STRICT, requireSignedCode: true, topicPerms: [`${MISC}=PUB|SUB`], groupPerms: [`${PG_B}=PUB`] },
  ],
};

const directory = temporaryDirectory('acl-attacks');
let broker: BrokerProcess | undefined;
const clients: RemotingClient[] = [];

function requireBroker(): BrokerProcess {
  assert.ok(broker !== undefined, 'the broker did not start');
  return broker;
}

function remoting(credentials?: AccessCredentials): RemotingClient {
  const client = new RemotingClient(credentials === undefined ? {} : { credentials });
  clients.push(client);
  return client;
}

function invoke(client: RemotingClient, code: number, extFields: ExtFields, body?: Buffer): Promise<RemotingCommand> {
  return client.invoke(requireBroker().address, { code, extFields, body }, REQUEST_TIMEOUT_MS);
}

function expectCode(response: RemotingCommand, code: number, remark: RegExp): void {
  assert.equal(response.code, code, `expected ${code}, got ${response.code}: ${response.remark}`);
  assert.match(response.remark ?? '', remark);
}

/** The commit log offset in a broker's offset message id (store host, then 16 hex digits). */
function commitLogOffsetOf(offsetMsgId: string): number {
  return Number.parseInt(offsetMsgId.slice(-16), 16);
}

async function sendAs(credentials: AccessCredentials, group: string, topic: string, body: string): Promise<number> {
  const producer = new Producer({ nameServer: requireBroker().nameServerAddress!, group, credentials });
  try {
    await producer.start();
    return commitLogOffsetOf((await producer.send({ topic, body })).offsetMsgId);
  } finally {
    await producer.shutdown();
  }
}

/** HEART_BEAT registering `consumerGroup` subscribed to `topics`, and/or `producerGroup`. */
function heartbeat(
  client: RemotingClient,
  clientId: string,
  groups: { consumerGroup?: string; topics?: string[]; producerGroup?: string },
): Promise<RemotingCommand> {
  const body = {
    clientID: clientId,
    producerDataSet: groups.producerGroup === undefined ? [] : [{ groupName: groups.producerGroup }],
    consumerDataSet:
      groups.consumerGroup === undefined
        ? []
        : [
            {
              groupName: groups.consumerGroup,
              consumeType: 'CONSUME_PASSIVELY',
              messageModel: 'CLUSTERING',
              consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
              subscriptionDataSet: (groups.topics ?? []).map((topic) => ({ topic, subString: '*' })),
            },
          ],
  };
  return invoke(client, REQUEST_CODE.HEART_BEAT, {}, Buffer.from(JSON.stringify(body)));
}

function sendBack(client: RemotingClient, offset: number, group: string, delayLevel: number): Promise<RemotingCommand> {
  return invoke(client, REQUEST_CODE.CONSUMER_SEND_MSG_BACK, { offset, group, delayLevel, maxReconsumeTimes: 16 });
}

/** Messages in every queue of `topic`, read by the admin; 0 when the topic does not exist. */
async function messageCount(topic: string): Promise<number> {
  const admin = remoting(ADMIN);
  let total = 0;
  for (let queueId = 0; queueId < 8; queueId++) {
    const response = await invoke(admin, REQUEST_CODE.GET_MAX_OFFSET, { topic, queueId });
    if (response.code === RESPONSE_CODE.SUCCESS) total += Number(response.extFields?.offset);
  }
  return total;
}

test.before(async () => {
  const aclFile = path.join(directory.path, 'acl.json');
  fs.writeFileSync(aclFile, JSON.stringify(ACL_DOCUMENT));
  broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'data'),
    acl: aclFile,
    label: 'acl attacks broker',
    ...BROKER_TIMING,
  });
  const admin = new Admin({ nameServer: broker.nameServerAddress!, credentials: ADMIN });
  try {
    for (const topic of [ORDERS, MISC]) await admin.createTopic(topic, { queues: 2 });
  } finally {
    await admin.close();
  }
  for (const topic of [ORDERS, MISC]) await waitForRoute(remoting(), broker.nameServerAddress!, topic, STEP_TIMEOUT_MS);
});

test.after(async () => {
  for (const client of clients) client.close();
  await broker?.stop();
  directory.remove();
});

test("send-back of another topic's offset is refused and writes nothing to the group's DLQ or retry topic", async () => {
  const ordersOffset = await sendAs(OWNER, PG_A, ORDERS, 'order 1');
  const intruder = remoting(INTRUDER);
  assert.equal((await heartbeat(intruder, 'intruder@1', { consumerGroup: MG, topics: [MISC] })).code, 0);
  // Straight to the DLQ (level -1), the quickest way to read a copy back.
  expectCode(
    await sendBack(intruder, ordersOffset, MG, -1),
    RESPONSE_CODE.NO_PERMISSION,
    /AccessKey 'atk-intruder' has no SUB permission on topic 'atk-orders'/,
  );
  // An account that may read ORDERS, with a group not subscribed to it, is refused too.
  const reader = remoting(READER);
  assert.equal((await heartbeat(reader, 'reader@1', { consumerGroup: MG_WIDE, topics: [MISC] })).code, 0);
  expectCode(
    await sendBack(reader, ordersOffset, MG_WIDE, -1),
    RESPONSE_CODE.MESSAGE_ILLEGAL,
    /is a message of topic atk-orders, which group atk-mg-wide does not subscribe to/,
  );
  for (const topic of [`%DLQ%${MG}`, `%RETRY%${MG}`, `%DLQ%${MG_WIDE}`, `%RETRY%${MG_WIDE}`])
    assert.equal(await messageCount(topic), 0, `${topic} stays empty`);
  // The legitimate send-back of the group's own message still works.
  const miscOffset = await sendAs(INTRUDER, PG_B, MISC, 'misc 1');
  // An offset inside a record (where a body could hold bytes shaped like a record) is no message.
  for (const inside of [miscOffset + 1, miscOffset + 64])
    expectCode(
      await sendBack(intruder, inside, MG, -1),
      RESPONSE_CODE.MESSAGE_ILLEGAL,
      /no stored message starts at offset/,
    );
  expectCode(await sendBack(intruder, miscOffset, MG, -1), RESPONSE_CODE.SUCCESS, /^$/);
  assert.equal(await messageCount(`%DLQ%${MG}`), 1, 'its own message is dead-lettered');
});

test('send-back of a broker state record or a half message is refused as not a user message', async () => {
  const intruder = remoting(INTRUDER);
  assert.equal((await heartbeat(intruder, 'intruder@2', { consumerGroup: MG, topics: [MISC] })).code, 0);
  const before = await messageCount(`%DLQ%${MG}`);
  // The log's first record is the broker's own: topic creation commands precede every message.
  expectCode(await sendBack(intruder, 0, MG, -1), RESPONSE_CODE.MESSAGE_ILLEGAL, /offset 0 is not a user message/);
  const producer = transactionProducer(PG_B, INTRUDER, () => 'rollback');
  try {
    await producer.start();
    const half = await producer.sendInTransaction({ topic: MISC, body: 'half' }, () => 'unknown');
    expectCode(
      await sendBack(intruder, commitLogOffsetOf(half.offsetMsgId), MG, -1),
      RESPONSE_CODE.MESSAGE_ILLEGAL,
      /is not a user message/,
    );
  } finally {
    await producer.shutdown();
  }
  assert.equal(await messageCount(`%DLQ%${MG}`), before, 'nothing was dead-lettered');
});

/** A checker recording each check-back's body and answering `verdict` (unknown at first). */
function recordingChecker(): {
  calls: string[];
  verdict: TransactionVerdict;
  check: (message: ReceivedMessage) => TransactionVerdict;
} {
  const checker = {
    calls: [] as string[],
    verdict: 'unknown' as TransactionVerdict,
    check: (message: ReceivedMessage): TransactionVerdict => {
      checker.calls.push(message.body.toString('utf8'));
      return checker.verdict;
    },
  };
  return checker;
}

/** A transaction producer of `group` signing as `credentials`, answering check-backs with `check`. */
function transactionProducer(
  group: string,
  credentials: AccessCredentials,
  check: (message: ReceivedMessage) => TransactionVerdict,
): TransactionProducer {
  return new TransactionProducer({
    nameServer: requireBroker().nameServerAddress!,
    group,
    credentials,
    check,
    ...CLIENT_TIMING,
  });
}

test("another account cannot end or receive the check-backs of a producer group's transaction", async () => {
  const owner = recordingChecker();
  const thief = recordingChecker();
  const ownerProducer = transactionProducer(PG_A, OWNER, owner.check);
  // The intruder joins PG_A with a producer of its own: its heartbeats are refused.
  const thiefProducer = transactionProducer(PG_A, INTRUDER, thief.check);
  try {
    await ownerProducer.start();
    await thiefProducer.start().catch(() => undefined);
    expectCode(
      await heartbeat(remoting(INTRUDER), 'intruder@3', { producerGroup: PG_A }),
      RESPONSE_CODE.NO_PERMISSION,
      /AccessKey 'atk-intruder' has no PUB permission on group 'atk-pg-a'/,
    );
    const ordersBefore = await messageCount(ORDERS);
    const pending = await ownerProducer.sendInTransaction({ topic: ORDERS, body: 'pending' }, () => 'unknown');
    const end = (producerGroup: string): ExtFields => ({
      producerGroup,
      tranStateTableOffset: pending.queueOffset,
      commitLogOffset: commitLogOffsetOf(pending.offsetMsgId),
      commitOrRollback: MESSAGE_SYS_FLAG.transactionCommit,
      fromTransactionCheck: false,
    });
    expectCode(
      await invoke(remoting(INTRUDER), REQUEST_CODE.END_TRANSACTION, end(PG_A)),
      RESPONSE_CODE.NO_PERMISSION,
      /has no PUB permission on group 'atk-pg-a'/,
    );
    expectCode(
      await invoke(remoting(INTRUDER), REQUEST_CODE.END_TRANSACTION, end(PG_B)),
      RESPONSE_CODE.SYSTEM_ERROR,
      /the producer group does not match the half message/,
    );
    // PUB on the group is not enough: the half message's real topic needs PUB too.
    expectCode(
      await invoke(remoting(GROUP_ONLY), REQUEST_CODE.END_TRANSACTION, end(PG_A)),
      RESPONSE_CODE.NO_PERMISSION,
      /AccessKey 'atk-group-only' has no PUB permission on topic 'atk-orders'/,
    );
    // Checks rotate among a group's live producers: three to the owner would have reached a
    // registered intruder.
    await waitFor(
      'three check-backs to the owner',
      STEP_TIMEOUT_MS,
      () => owner.calls.filter((body) => body === 'pending').length >= 3,
    );
    assert.deepEqual(thief.calls, [], 'the intruder received no check-back');
    assert.equal(await messageCount(ORDERS), ordersBefore, 'the transaction is still pending: nothing committed');
    // The owner's own verdict still ends it.
    owner.verdict = 'commit';
    await pollUntil('the owner to commit at its next check-back', STEP_TIMEOUT_MS, async () =>
      (await messageCount(ORDERS)) === ordersBefore + 1 ? true : undefined,
    );
  } finally {
    await thiefProducer.shutdown();
    await ownerProducer.shutdown();
  }
});

test("an admin's signed GET_MAX_OFFSET replayed as DELETE_TOPIC_IN_BROKER is refused; the topic stays", async () => {
  // Captured as RocketMQ clients sign (no code in the signature), then sent under another code.
  const captured = signedExtFields(ADMIN, { topic: ORDERS, queueId: 0 }, undefined);
  const attacker = remoting();
  expectCode(await invoke(attacker, REQUEST_CODE.GET_MAX_OFFSET, captured), RESPONSE_CODE.SUCCESS, /^$/);
  expectCode(
    await invoke(attacker, REQUEST_CODE.DELETE_TOPIC_IN_BROKER, captured),
    RESPONSE_CODE.NO_PERMISSION,
    /DELETE_TOPIC_IN_BROKER\) cannot be what was signed: it carries field\(s\) queueId that do not belong to it/,
  );
  // Signed by Tributary's client, the code itself is signed: any other code is refused.
  const tributary = signedExtFields(ADMIN, { topic: ORDERS }, undefined, REQUEST_CODE.GET_TOPIC_STATS_INFO);
  expectCode(
    await invoke(attacker, REQUEST_CODE.DELETE_TOPIC_IN_BROKER, tributary),
    RESPONSE_CODE.NO_PERMISSION,
    /was signed as request code '\d+'/,
  );
  const admin = new Admin({ nameServer: requireBroker().nameServerAddress!, credentials: ADMIN });
  try {
    assert.ok((await admin.listTopics()).includes(ORDERS), 'the topic is still routed');
  } finally {
    await admin.close();
  }
  expectCode(await invoke(remoting(ADMIN), REQUEST_CODE.GET_MAX_OFFSET, { topic: ORDERS, queueId: 0 }), 0, /^$/);
});

test('a requireSignedCode account refuses RocketMQ-style signing, stale signatures and exact replays', async () => {
  const fields = { topic: MISC, queueId: 0 };
  expectCode(
    await invoke(remoting(), REQUEST_CODE.GET_MAX_OFFSET, signedExtFields(STRICT, fields, undefined)),
    RESPONSE_CODE.NO_PERMISSION,
    /AccessKey 'atk-strict' requires signed TributaryRequestCode, TributaryTimestamp, TributaryNonce/,
  );
  const stale = signedExtFields(
    STRICT,
    {
      ...fields,
      [TRIBUTARY_SIGNED_FIELD.requestCode]: REQUEST_CODE.GET_MAX_OFFSET,
      [TRIBUTARY_SIGNED_FIELD.timestamp]: Date.now() - STALE_MS,
      [TRIBUTARY_SIGNED_FIELD.nonce]: 'stale-1',
    },
    undefined,
  );
  expectCode(
    await invoke(remoting(), REQUEST_CODE.GET_MAX_OFFSET, stale),
    RESPONSE_CODE.NO_PERMISSION,
    /was signed 600 s from the broker's clock \(at most 300 s\)/,
  );
  const captured = signedExtFields(STRICT, fields, undefined, REQUEST_CODE.GET_MAX_OFFSET);
  const attacker = remoting();
  expectCode(await invoke(attacker, REQUEST_CODE.GET_MAX_OFFSET, captured), RESPONSE_CODE.SUCCESS, /^$/);
  expectCode(
    await invoke(attacker, REQUEST_CODE.GET_MAX_OFFSET, captured),
    RESPONSE_CODE.NO_PERMISSION,
    /was already received \(a replay\)/,
  );
  // Tributary's own clients sign every request anew and work as usual.
  const client = remoting(STRICT);
  for (let i = 0; i < 3; i++) expectCode(await invoke(client, REQUEST_CODE.GET_MAX_OFFSET, fields), 0, /^$/);
  assert.ok((await sendAs(STRICT, PG_B, MISC, 'strict')) >= 0);
});

test.run();
