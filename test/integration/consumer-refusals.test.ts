// A consumer the broker refuses must say so: group names outside the broker's rule are refused
// when the consumer is made, a first heartbeat the broker refuses rejects start(), and a
// heartbeat refused later is an error event. The broker's rule and the client's are one
// (protocol/name-rules.ts); a raw heartbeat checks the broker side of it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { Admin, ClientError, PushConsumer, type AccessCredentials } from '../../client/index.js';
import { GROUP_NAME_CHARS_MAX, TOPIC_NAME_CHARS_MAX, RETRY_TOPIC_PREFIX } from '../../protocol/name-rules.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil } from '../support/broker-requests.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const ADMIN: AccessCredentials = { accessKey: 'refusal-admin', secretKey: 'admin-secret-a81c' };
const CONSUMER: AccessCredentials = { accessKey: 'refusal-consumer', secretKey: 'consumer-secret-5d2e' };
const TOPIC = 'refusal-orders';
const ALLOWED_GROUP = 'refusal-allowed';
const OTHER_GROUP = 'refusal-other';
const STEP_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 5000;
/** The broker re-reads the ACL file this often; tests wait for conditions, never for this. */
const ACL_RELOAD_INTERVAL_MS = 100;
/** Heartbeats this often, so a refusal after start shows within the test's patience. */
const HEARTBEAT_INTERVAL_MS = 200;

const acl = (groupPerms: string[]) => ({
  globalWhiteRemoteAddresses: [] as string[],
  accounts: [
    { ...ADMIN, admin: true },
    { ...CONSUMER, topicPerms: [`${TOPIC}=SUB`, `${RETRY_TOPIC_PREFIX}${ALLOWED_GROUP}=SUB`], groupPerms },
  ],
});

const directory = temporaryDirectory('consumer-refusals');
const aclFile = path.join(directory.path, 'acl.json');
let broker: BrokerProcess | undefined;

function writeAcl(document: unknown): void {
  fs.writeFileSync(`${aclFile}.tmp`, JSON.stringify(document));
  fs.renameSync(`${aclFile}.tmp`, aclFile);
}

test.before(async () => {
  writeAcl(acl([`${ALLOWED_GROUP}=SUB`]));
  broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'data'),
    acl: aclFile,
    aclReloadIntervalMs: ACL_RELOAD_INTERVAL_MS,
    label: 'refusals broker',
  });
  const admin = new Admin({ nameServer: broker.nameServerAddress!, credentials: ADMIN });
  try {
    await admin.createTopic(TOPIC, { queues: 2 });
    await pollUntil(
      `route of ${TOPIC}`,
      STEP_TIMEOUT_MS,
      async () => (await admin.listTopics()).includes(TOPIC) || undefined,
    );
  } finally {
    await admin.close();
  }
});

test.after(async () => {
  await broker?.stop();
  directory.remove();
});

const consumerOptions = (group: string) => ({
  nameServer: broker!.nameServerAddress!,
  group,
  subscriptions: { [TOPIC]: '*' },
  credentials: CONSUMER,
  heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
});

test('group names the broker refuses (dot, space, %RETRY% topic past 127 characters) are refused at construction', () => {
  assert.equal(TOPIC_NAME_CHARS_MAX, TOPIC_NAME_CHARS_MAX, 'the client rule and the store share the topic limit');
  assert.equal(RETRY_TOPIC_PREFIX, RETRY_TOPIC_PREFIX, 'the client and the broker name retry topics alike');
  const refused = ['g.dot', 'g space', 'x'.repeat(GROUP_NAME_CHARS_MAX + 1), 'x'.repeat(TOPIC_NAME_CHARS_MAX + 1)];
  for (const group of refused) {
    assert.throws(
      () => new PushConsumer(consumerOptions(group)),
      (error: unknown) => error instanceof ClientError && error.code === 'INVALID_GROUP_NAME',
      group.slice(0, 20),
    );
  }
  // The longest accepted name is made without complaint.
  void new PushConsumer(consumerOptions('x'.repeat(GROUP_NAME_CHARS_MAX)));
});

test('the broker refuses the heartbeat of exactly the consumer group names the client rule refuses', async () => {
  const client = new RemotingClient({ serializeType: SERIALIZE_TYPE.msgpack, credentials: ADMIN });
  const heartbeat = async (group: string): Promise<number> => {
    const data = {
      clientID: 'refusal-probe',
      producerDataSet: [],
      consumerDataSet: [{ groupName: group, messageModel: 'CLUSTERING', subscriptionDataSet: [] }],
    };
    const request = { code: REQUEST_CODE.HEART_BEAT, body: Buffer.from(JSON.stringify(data)) };
    return (await client.invoke(broker!.address, request, REQUEST_TIMEOUT_MS)).code;
  };
  try {
    assert.equal(await heartbeat('x'.repeat(GROUP_NAME_CHARS_MAX)), RESPONSE_CODE.SUCCESS);
    for (const group of ['g.dot', 'g space', 'x'.repeat(GROUP_NAME_CHARS_MAX + 1), 'y'.repeat(125)])
      assert.notEqual(await heartbeat(group), RESPONSE_CODE.SUCCESS, `heartbeat of ${group.slice(0, 20)}`);
  } finally {
    client.close();
  }
});

test('a consumer whose first heartbeat the broker refuses fails start() with HEARTBEAT_REFUSED instead of waiting silently', async () => {
  const consumer = new PushConsumer(consumerOptions(OTHER_GROUP));
  const started = Date.now();
  await assert.rejects(consumer.start(), (error: unknown) => {
    assert.ok(error instanceof ClientError, String(error));
    assert.equal(error.code, 'HEARTBEAT_REFUSED');
    assert.equal(error.responseCode, RESPONSE_CODE.NO_PERMISSION);
    assert.match(error.message, new RegExp(OTHER_GROUP));
    return true;
  });
  assert.ok(Date.now() - started < STEP_TIMEOUT_MS);
  await consumer.shutdown(); // A no-op: the refused start left it shut down.
  // The iterator mode starts on its own, and throws the refusal to the loop.
  const iterating = new PushConsumer(consumerOptions(OTHER_GROUP));
  await assert.rejects(
    iterating.messages().next(),
    (error: unknown) => error instanceof ClientError && error.code === 'HEARTBEAT_REFUSED',
  );
});

test('a heartbeat refused after start (group permission revoked) is reported as an error event', async () => {
  const consumer = new PushConsumer(consumerOptions(ALLOWED_GROUP));
  const errors: unknown[] = [];
  consumer.onError((error) => errors.push(error));
  try {
    await consumer.start();
    writeAcl(acl([]));
    await pollUntil('a heartbeat refusal event', STEP_TIMEOUT_MS, () =>
      errors.find((error) => error instanceof ClientError && error.responseCode === RESPONSE_CODE.NO_PERMISSION),
    );
  } finally {
    writeAcl(acl([`${ALLOWED_GROUP}=SUB`]));
    await consumer.shutdown();
  }
});

test.run();
