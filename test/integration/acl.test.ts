// Access control on a real broker process (broker `acl` option = a JSON ACL file): each denial
// is answered NO_PERMISSION (16) with a remark naming what was refused, and each grant works
// end to end with Tributary's own clients (msgpack headers) and with ali-ons (JSON headers,
// RocketMQ 4.x signing). The file is hot-reloaded: adding 127.0.0.1 to the global allow-list
// lets unsigned requests in, an invalid edit keeps the previous list, and nothing the broker
// writes to its output contains a secret key.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import { Admin, ClientError, Producer, type AccessCredentials } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE, type ExtFields, type RemotingCommand } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { signedExtFields } from '../../protocol/request-signature.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { pollUntil, waitForRoute } from '../support/broker-requests.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { recordingConsumer, waitFor } from '../support/messaging-fixture.js';
import { temporaryDirectory } from '../support/temporary-directory.js';
import type { ConsumerChildConfig } from './children/ali-ons-consumer.js';
import type { ProducerChildConfig } from './children/ali-ons-producer.js';

const PRODUCER_SCRIPT = fileURLToPath(new URL('./children/ali-ons-producer.js', import.meta.url));
const CONSUMER_SCRIPT = fileURLToPath(new URL('./children/ali-ons-consumer.js', import.meta.url));
const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));

const ADMIN: AccessCredentials = { accessKey: 'acl-admin', secretKey: 'admin-secret-7f3a' };
const PRODUCER: AccessCredentials = { accessKey: 'acl-producer', secretKey: 'producer-secret-91bd' };
const CONSUMER: AccessCredentials = { accessKey: 'acl-consumer', secretKey: 'consumer-secret-c44e' };
/** Usable only from 10.99.0.*, so never from the tests' 127.0.0.1. */
const ELSEWHERE: AccessCredentials = { accessKey: 'acl-elsewhere', secretKey: 'elsewhere-secret-0d2c' };
const ALI_ONS: AccessCredentials = { accessKey: 'acl-ali-ons', secretKey: 'ali-ons-secret-5e1b' };
const SECRETS = [ADMIN, PRODUCER, CONSUMER, ELSEWHERE, ALI_ONS].map((account) => account.secretKey);

const ORDERS = 'acl-orders';
const OTHER = 'acl-other';
const BILLING = 'acl-billing';
const BLOCKED = 'acl-blocked';
const ALI_ONS_TOPIC = 'AclAliOns';
const ALI_ONS_GROUP = 'CG_ACL_ALI_ONS';
const QUEUES = 2;

const STEP_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5000;
/** The broker looks at the ACL file this often; tests wait for conditions, never for this. */
const ACL_RELOAD_INTERVAL_MS = 100;

const ACL_DOCUMENT = {
  globalWhiteRemoteAddresses: [] as string[],
  accounts: [
    { ...ADMIN, admin: true },
    { ...PRODUCER, topicPerms: [`${ORDERS}=PUB`], groupPerms: ['acl-pg=PUB'] },
    { ...CONSUMER, topicPerms: [`${ORDERS}=SUB`], groupPerms: [`${BILLING}=SUB`, `${BLOCKED}=DENY`] },
    { ...ELSEWHERE, whiteRemoteAddress: '10.99.0.*', defaultTopicPerm: 'PUB|SUB', defaultGroupPerm: 'SUB' },
    {
      ...ALI_ONS,
      topicPerms: [`${ALI_ONS_TOPIC}=PUB|SUB`],
      groupPerms: [`${ALI_ONS_GROUP}=SUB`, 'PG_ACL_ALI_ONS=PUB'],
    },
  ],
};

const directory = temporaryDirectory('acl');
const aclFile = path.join(directory.path, 'acl.json');
let broker: BrokerProcess | undefined;
const clients: RemotingClient[] = [];

function requireBroker(): BrokerProcess {
  assert.ok(broker !== undefined, 'the broker did not start');
  return broker;
}

function writeAcl(document: unknown): void {
  // Write then rename, as configuration tools do, so the broker never reads half a file.
  fs.writeFileSync(`${aclFile}.tmp`, typeof document === 'string' ? document : JSON.stringify(document, null, 2));
  fs.renameSync(`${aclFile}.tmp`, aclFile);
}

/** A remoting client signing with `credentials` (none: unsigned); JSON or msgpack headers. */
function remoting(credentials?: AccessCredentials, serializeType: number = SERIALIZE_TYPE.msgpack): RemotingClient {
  const client = new RemotingClient({ serializeType, ...(credentials === undefined ? {} : { credentials }) });
  clients.push(client);
  return client;
}

function invoke(client: RemotingClient, code: number, extFields: ExtFields, body?: Buffer): Promise<RemotingCommand> {
  return client.invoke(requireBroker().address, { code, extFields, body }, REQUEST_TIMEOUT_MS);
}

function sendFields(topic: string): ExtFields {
  return { a: 'acl-pg', b: topic, c: 'TBW102', d: 4, e: 0, f: 0, g: Date.now(), h: 0, i: '', j: 0, k: false };
}

function send(client: RemotingClient, topic: string, body = 'hello'): Promise<RemotingCommand> {
  return invoke(client, REQUEST_CODE.SEND_MESSAGE_V2, sendFields(topic), Buffer.from(body));
}

function pull(client: RemotingClient, topic: string, group: string): Promise<RemotingCommand> {
  return invoke(client, REQUEST_CODE.PULL_MESSAGE, {
    consumerGroup: group,
    topic,
    queueId: 0,
    queueOffset: 0,
    maxMsgNums: 1,
    sysFlag: 0,
    commitOffset: 0,
    suspendTimeoutMillis: 0,
    subscription: '*',
    subVersion: 0,
  });
}

function createTopic(client: RemotingClient, topic: string): Promise<RemotingCommand> {
  return invoke(client, REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, { topic, readQueueNums: QUEUES, writeQueueNums: QUEUES });
}

function expectDenied(response: RemotingCommand, remark: RegExp): void {
  assert.equal(
    response.code,
    RESPONSE_CODE.NO_PERMISSION,
    `expected NO_PERMISSION, got ${response.code}: ${response.remark}`,
  );
  assert.match(response.remark ?? '', remark);
  for (const secret of SECRETS) assert.equal(response.remark?.includes(secret), false, 'a remark names a secret');
}

function expectSuccess(response: RemotingCommand, what: string): void {
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, `${what}: ${response.code} ${response.remark ?? ''}`);
}

test.before(async () => {
  writeAcl(ACL_DOCUMENT);
  broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'data'),
    acl: aclFile,
    aclReloadIntervalMs: ACL_RELOAD_INTERVAL_MS,
    label: 'acl broker',
  });
  const admin = new Admin({ nameServer: broker.nameServerAddress!, credentials: ADMIN });
  try {
    for (const topic of [ORDERS, OTHER, ALI_ONS_TOPIC]) await admin.createTopic(topic, { queues: QUEUES });
  } finally {
    await admin.close();
  }
  for (const topic of [ORDERS, OTHER, ALI_ONS_TOPIC])
    await waitForRoute(remoting(), broker.nameServerAddress!, topic, STEP_TIMEOUT_MS);
});

test.after(async () => {
  for (const client of clients) client.close();
  await broker?.stop();
  directory.remove();
});

test('acl: a request without credentials is refused NO_PERMISSION, naming what is missing', async () => {
  const unsigned = remoting();
  expectDenied(await send(unsigned, ORDERS), /request code 310 \(SEND_MESSAGE_V2\) is not signed \(no AccessKey\)/);
  expectDenied(await createTopic(unsigned, 'acl-sneaky'), /request code 17 \(UPDATE_AND_CREATE_TOPIC\) is not signed/);
  expectDenied(await pull(remoting(undefined, SERIALIZE_TYPE.json), ORDERS, BILLING), /is not signed/);
});

test('acl: a wrong secret, an unknown access key and a tampered body are each refused', async () => {
  const wrongSecret = remoting({ accessKey: PRODUCER.accessKey, secretKey: 'not-the-secret' });
  expectDenied(
    await send(wrongSecret, ORDERS),
    /signature of request code 310 .* does not match AccessKey 'acl-producer'/,
  );
  const unknown = remoting({ accessKey: 'acl-nobody', secretKey: 'nobody-secret' });
  expectDenied(await send(unknown, ORDERS), /unknown AccessKey 'acl-nobody'/);
  // Signed over one body, sent with another (as a man in the middle would change it).
  const extFields = signedExtFields(PRODUCER, sendFields(ORDERS), Buffer.from('pay 10'));
  const tampered = await invoke(remoting(), REQUEST_CODE.SEND_MESSAGE_V2, extFields, Buffer.from('pay 99'));
  expectDenied(tampered, /signature of request code 310 .* does not match AccessKey 'acl-producer'/);
  const intact = await invoke(remoting(), REQUEST_CODE.SEND_MESSAGE_V2, extFields, Buffer.from('pay 10'));
  expectSuccess(intact, 'the untampered request');
});

test('acl: a send needs PUB on its topic: granted to the producer account, refused elsewhere', async () => {
  const producer = new Producer({
    nameServer: requireBroker().nameServerAddress!,
    group: 'acl-pg',
    credentials: PRODUCER,
  });
  try {
    await producer.start();
    const result = await producer.send({ topic: ORDERS, body: 'granted' });
    assert.match(result.msgId, /^[0-9A-F]+$/);
    await assert.rejects(
      producer.send({ topic: OTHER, body: 'refused' }),
      // Retried on every broker (another may allow it, as in RocketMQ), then given up.
      (error: unknown) =>
        error instanceof ClientError &&
        /NO_PERMISSION \(16\): access denied: AccessKey 'acl-producer' has no PUB permission on topic 'acl-other'/.test(
          error.message,
        ),
    );
  } finally {
    await producer.shutdown();
  }
  expectSuccess(await send(remoting(PRODUCER, SERIALIZE_TYPE.json), ORDERS), 'a JSON-header send with PUB');
  expectDenied(
    await send(remoting(CONSUMER), ORDERS),
    /AccessKey 'acl-consumer' has no PUB permission on topic 'acl-orders'/,
  );
});

test('acl: pulling needs SUB on the topic and on the group; a DENY group is refused', async () => {
  expectDenied(
    await pull(remoting(PRODUCER), ORDERS, BILLING),
    /'acl-producer' has no SUB permission on topic 'acl-orders'/,
  );
  const consumerClient = remoting(CONSUMER);
  expectDenied(await pull(consumerClient, OTHER, BILLING), /'acl-consumer' has no SUB permission on topic 'acl-other'/);
  expectDenied(
    await pull(consumerClient, ORDERS, BLOCKED),
    /'acl-consumer' has no SUB permission on group 'acl-blocked'/,
  );
  expectDenied(await pull(consumerClient, ORDERS, 'acl-unlisted'), /no SUB permission on group 'acl-unlisted'/);
  const granted = await pull(consumerClient, ORDERS, BILLING);
  assert.notEqual(granted.code, RESPONSE_CODE.NO_PERMISSION, granted.remark);
});

test('acl: a consumer account with SUB receives what the producer account sent (signed end to end)', async () => {
  const nameServer = requireBroker().nameServerAddress!;
  const { consumer, received } = await recordingConsumer({
    nameServer,
    group: BILLING,
    subscriptions: { [ORDERS]: '*' },
    consumeFrom: 'first',
    credentials: CONSUMER,
  });
  const producer = new Producer({ nameServer, group: 'acl-pg', credentials: PRODUCER });
  try {
    await producer.start();
    const bodies = Array.from({ length: 10 }, (_, i) => `delivered-${i}`);
    for (const body of bodies) await producer.send({ topic: ORDERS, body });
    await waitFor('10 deliveries', STEP_TIMEOUT_MS, () =>
      bodies.every((body) => received.some((message) => message.body.toString() === body)),
    );
  } finally {
    await producer.shutdown();
    await consumer.shutdown();
  }
});

test('acl: creating a topic is admin-only: refused to other accounts, done for the admin', async () => {
  expectDenied(
    await createTopic(remoting(PRODUCER), 'acl-new'),
    /request code 17 \(UPDATE_AND_CREATE_TOPIC\) needs an admin account; AccessKey 'acl-producer' is not one/,
  );
  const admin = new Admin({ nameServer: requireBroker().nameServerAddress!, credentials: CONSUMER });
  try {
    await assert.rejects(admin.createTopic('acl-new'), /needs an admin account/);
  } finally {
    await admin.close();
  }
  expectSuccess(await createTopic(remoting(ADMIN), 'acl-new'), 'creating a topic as admin');
});

test('acl: reset-offset, group delete and topic delete are admin-only; the admin may', async () => {
  const consumer = remoting(CONSUMER);
  const reset = { topic: ORDERS, group: BILLING, position: 'earliest', timestamp: 0, isForce: true };
  expectDenied(
    await invoke(consumer, REQUEST_CODE.INVOKE_BROKER_TO_RESET_OFFSET, reset),
    /request code 222 \(INVOKE_BROKER_TO_RESET_OFFSET\) needs an admin account/,
  );
  expectDenied(
    await invoke(consumer, REQUEST_CODE.DELETE_SUBSCRIPTIONGROUP, { groupName: BILLING }),
    /request code 207 \(DELETE_SUBSCRIPTIONGROUP\) needs an admin account/,
  );
  expectDenied(
    await invoke(consumer, REQUEST_CODE.DELETE_TOPIC_IN_BROKER, { topic: ORDERS }),
    /request code 215 \(DELETE_TOPIC_IN_BROKER\) needs an admin account/,
  );
  expectSuccess(await invoke(remoting(ADMIN), REQUEST_CODE.INVOKE_BROKER_TO_RESET_OFFSET, reset), 'reset as admin');
});

/** Runs `tributary <args>` in a clean environment (PATH and `environment` only); never rejects. */
function runCli(
  args: readonly string[],
  environment: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...environment };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_SCRIPT, ...args], { env, timeout: STEP_TIMEOUT_MS }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: unknown }).code ?? 1), stderr });
    });
  });
}

test('acl: the CLI client commands sign with TRIBUTARY_ACCESS_KEY and TRIBUTARY_SECRET_KEY', async () => {
  const create = ['topic', 'create', 'acl-cli', '--queues', '1', '--namesrv', requireBroker().nameServerAddress!];
  const unsigned = await runCli(create, {});
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stderr, /NO_PERMISSION \(16\): access denied: request code 17 .* is not signed/);
  const signed = await runCli(create, { TRIBUTARY_ACCESS_KEY: ADMIN.accessKey, TRIBUTARY_SECRET_KEY: ADMIN.secretKey });
  assert.equal(signed.code, 0, signed.stderr);
  const half = await runCli(create, { TRIBUTARY_SECRET_KEY: ADMIN.secretKey });
  assert.equal(half.code, 1);
  assert.match(half.stderr, /set both TRIBUTARY_ACCESS_KEY and TRIBUTARY_SECRET_KEY, or neither/);
  for (const outcome of [unsigned, signed, half]) assert.equal(outcome.stderr.includes(ADMIN.secretKey), false);
});

test('acl: an account used from outside its address allow-list is refused', async () => {
  expectDenied(await send(remoting(ELSEWHERE), ORDERS), /AccessKey 'acl-elsewhere' may not be used from 127\.0\.0\.1/);
});

test('acl: ali-ons with accessKey/secretKey produces and consumes; without them it is refused', async () => {
  const nameServer = requireBroker().nameServerAddress!;
  const messages = Array.from({ length: 6 }, (_, i) => ({
    topic: ALI_ONS_TOPIC,
    tags: 'TagA',
    keys: [`ali-${i}`],
    bodyBase64: Buffer.from(`ali-ons body ${i}`).toString('base64'),
  }));
  const producerConfig: ProducerChildConfig = { nameServer, group: 'PG_ACL_ALI_ONS', messages, ...ALI_ONS };
  const producer = JsonLineChild.spawn(PRODUCER_SCRIPT, [JSON.stringify(producerConfig)], {
    label: 'ali-ons producer',
  });
  const unsignedConfig: ProducerChildConfig = { nameServer, group: 'PG_ACL_ALI_ONS', messages: messages.slice(0, 1) };
  const unsigned = JsonLineChild.spawn(PRODUCER_SCRIPT, [JSON.stringify(unsignedConfig)], {
    label: 'ali-ons unsigned',
  });
  const consumerConfig: ConsumerChildConfig = {
    nameServer,
    group: ALI_ONS_GROUP,
    topic: ALI_ONS_TOPIC,
    subExpression: '*',
    failures: {},
    ...ALI_ONS,
  };
  const consumer = JsonLineChild.spawn(CONSUMER_SCRIPT, [JSON.stringify(consumerConfig)], {
    label: 'ali-ons consumer',
  });
  try {
    const done = await producer.waitFor('ali-ons producer done', STEP_TIMEOUT_MS, (lines) =>
      lines.find((line) => line.event === 'done' || line.event === 'failed'),
    );
    assert.equal(done.event, 'done', JSON.stringify(producer.lines));
    assert.deepEqual(
      producer.lines.filter((line) => line.event === 'sent').map((line) => line.sendStatus),
      messages.map(() => 'SEND_OK'),
    );
    const refused = await unsigned.waitFor('ali-ons unsigned producer to give up', STEP_TIMEOUT_MS, (lines) =>
      lines.find((line) => line.event === 'failed' || line.event === 'done'),
    );
    // ali-ons reports no remark, only that every attempt failed.
    assert.equal(refused.event, 'failed');
    assert.match(String(refused.message), /still failed/);
    await consumer.waitFor(`${messages.length} ali-ons deliveries`, STEP_TIMEOUT_MS, (lines) =>
      lines.filter((line) => line.event === 'message').length >= messages.length ? true : undefined,
    );
  } finally {
    await Promise.all([producer, unsigned, consumer].map((child) => child.terminate('SIGKILL', 0)));
  }
});

test('acl: a reloaded file applies at once: 127.0.0.1 on the global allow-list needs no signature', async () => {
  const unsigned = remoting();
  expectDenied(await createTopic(unsigned, 'acl-global'), /is not signed/);
  writeAcl({ ...ACL_DOCUMENT, globalWhiteRemoteAddresses: ['127.0.0.1'] });
  await pollUntil('the reloaded ACL to let unsigned requests in', STEP_TIMEOUT_MS, async () =>
    (await createTopic(unsigned, 'acl-global')).code === RESPONSE_CODE.SUCCESS ? true : undefined,
  );
  expectSuccess(await send(unsigned, OTHER), 'an unsigned send from the global allow-list');
});

test('acl: an invalid edit of the file is reported and the previous list stays in force', async () => {
  const unsigned = remoting();
  // Broken JSON right next to a secret: the report must not quote it.
  writeAcl(`{"accounts": [{"accessKey": "acl-admin", "secretKey": "${ADMIN.secretKey}" oops`);
  await pollUntil('the broker to report the bad ACL file', STEP_TIMEOUT_MS, () =>
    // One JSON log line: the error's message and the context (msg) in it.
    /"message":"[^"]*is not valid JSON.*"msg":"reloading the ACL file \(the previous list stays in force\)/.test(
      requireBroker().outputTail,
    )
      ? true
      : undefined,
  );
  expectSuccess(await send(unsigned, OTHER), 'an unsigned send under the previous list');
  writeAcl(ACL_DOCUMENT);
  await pollUntil('the restored ACL to refuse unsigned requests', STEP_TIMEOUT_MS, async () =>
    (await send(unsigned, OTHER)).code === RESPONSE_CODE.NO_PERMISSION ? true : undefined,
  );
});

test('acl: the broker never writes a secret key to its output', () => {
  const output = requireBroker().outputTail;
  assert.match(output, /ACL file/, 'the broker reported something about its ACL file');
  for (const secret of SECRETS) assert.equal(output.includes(secret), false, 'the output contains a secret key');
});

test.run();
