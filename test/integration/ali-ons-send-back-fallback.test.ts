// ali-ons's own fallback for a failed message: when CONSUMER_SEND_MSG_BACK fails, it sends the
// message itself to %RETRY%<group>, as it decoded it (with the empty '' -> '' property pair its
// decoder adds). Here send-back fails for a real reason on a real broker: access control. The
// consumer's account loses SUB on the topic (the ACL file is edited and hot-reloaded) while the
// message is in its handler, so send-back (which needs SUB on the original topic) is refused;
// the account keeps SUB on its group, which is all a send to %RETRY%<group> needs. The message
// must come back through %RETRY%<group> as a new record, not as ali-ons's local retry.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';

import type { AccessCredentials } from '../../client/index.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { SERIALIZE_TYPE } from '../../protocol/remoting-command.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { createTopic, maxQueueOffset, pollUntil, waitForRoute } from '../support/broker-requests.js';
import { JsonLineChild } from '../support/json-line-child.js';
import { temporaryDirectory } from '../support/temporary-directory.js';
import type { ConsumerChildConfig } from './children/ali-ons-consumer.js';
import type { ProducerChildConfig } from './children/ali-ons-producer.js';

const PRODUCER_SCRIPT = fileURLToPath(new URL('./children/ali-ons-producer.js', import.meta.url));
const CONSUMER_SCRIPT = fileURLToPath(new URL('./children/ali-ons-consumer.js', import.meta.url));

const ADMIN: AccessCredentials = { accessKey: 'fallback-admin', secretKey: 'admin-secret-2b8e' };
const PRODUCER: AccessCredentials = { accessKey: 'fallback-producer', secretKey: 'producer-secret-6d01' };
const CONSUMER: AccessCredentials = { accessKey: 'fallback-consumer', secretKey: 'consumer-secret-a7c3' };
const TOPIC = 'AliOnsFallback';
const GROUP = 'CG_ALI_ONS_FALLBACK';
const RETRY_TOPIC = `%RETRY%${GROUP}`;
const FAIL_KEY = 'fail-once';

const STEP_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;
/** The broker looks at the ACL file this often; the test waits for the change, never for this. */
const ACL_RELOAD_INTERVAL_MS = 100;

function aclDocument(consumerTopicPerms: readonly string[]): unknown {
  return {
    globalWhiteRemoteAddresses: [],
    accounts: [
      { ...ADMIN, admin: true },
      { ...PRODUCER, topicPerms: [`${TOPIC}=PUB`] },
      { ...CONSUMER, topicPerms: consumerTopicPerms, groupPerms: [`${GROUP}=SUB`] },
    ],
  };
}

const directory = temporaryDirectory('ali-ons-fallback');
const aclFile = path.join(directory.path, 'acl.json');
const admin = new RemotingClient({ serializeType: SERIALIZE_TYPE.json, credentials: ADMIN });
const asConsumer = new RemotingClient({ serializeType: SERIALIZE_TYPE.json, credentials: CONSUMER });
let broker: BrokerProcess | undefined;
const children: JsonLineChild[] = [];

function writeAcl(document: unknown): void {
  fs.writeFileSync(`${aclFile}.tmp`, JSON.stringify(document, null, 2));
  fs.renameSync(`${aclFile}.tmp`, aclFile);
}

function messages(child: JsonLineChild): Record<string, unknown>[] {
  return child.lines.filter((line) => line.event === 'message');
}

test.before(async () => {
  writeAcl(aclDocument([`${TOPIC}=SUB`]));
  broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'data'),
    acl: aclFile,
    aclReloadIntervalMs: ACL_RELOAD_INTERVAL_MS,
    label: 'fallback broker',
  });
  await createTopic(admin, broker.address, TOPIC, 1);
  await waitForRoute(admin, broker.nameServerAddress!, TOPIC, STEP_TIMEOUT_MS);
});

test.after(async () => {
  await Promise.allSettled(children.map((child) => child.terminate('SIGKILL', 0)));
  admin.close();
  asConsumer.close();
  await broker?.stop();
  directory.remove();
});

test("ali-ons fallback: a failed message whose CONSUMER_SEND_MSG_BACK is refused (SUB on its topic revoked) reaches %RETRY%<group> through ali-ons's re-send, empty property pair and all", async () => {
  const { address, nameServerAddress } = broker!;
  const consumerConfig: ConsumerChildConfig = {
    nameServer: nameServerAddress!,
    group: GROUP,
    topic: TOPIC,
    subExpression: '*',
    failures: { [FAIL_KEY]: 1 },
    holdKeys: [FAIL_KEY],
    ...CONSUMER,
  };
  const consumer = JsonLineChild.spawn(CONSUMER_SCRIPT, [JSON.stringify(consumerConfig)], {
    label: 'ali-ons consumer',
  });
  children.push(consumer);
  const body = Buffer.from('a message its handler fails');
  const producerConfig: ProducerChildConfig = {
    nameServer: nameServerAddress!,
    group: 'PG_ALI_ONS_FALLBACK',
    messages: [{ topic: TOPIC, tags: 'TagA', keys: [FAIL_KEY], bodyBase64: body.toString('base64') }],
    ...PRODUCER,
  };
  const producer = JsonLineChild.spawn(PRODUCER_SCRIPT, [JSON.stringify(producerConfig)], {
    label: 'ali-ons producer',
  });
  children.push(producer);
  const sent = await producer.waitFor('the send', STEP_TIMEOUT_MS, (lines) =>
    lines.find((line) => line.event === 'sent' || line.event === 'failed'),
  );
  assert.equal(sent.event, 'sent', JSON.stringify(sent));

  await consumer.waitFor('the message held in the handler', STEP_TIMEOUT_MS, (lines) =>
    lines.find((line) => line.event === 'held'),
  );
  writeAcl(aclDocument([]));
  await pollUntil('the reloaded ACL to refuse the consumer the topic', STEP_TIMEOUT_MS, async () => {
    const response = await asConsumer.invoke(
      address,
      { code: REQUEST_CODE.GET_MAX_OFFSET, extFields: { topic: TOPIC, queueId: 0 } },
      STEP_TIMEOUT_MS,
    );
    return response.code === RESPONSE_CODE.NO_PERMISSION ? true : undefined;
  });
  consumer.send(`release ${FAIL_KEY}`);

  await consumer.waitFor('the message again', STEP_TIMEOUT_MS, () =>
    messages(consumer).length >= 2 ? true : undefined,
  );
  const [failed, retried] = messages(consumer) as [Record<string, unknown>, Record<string, unknown>];
  assert.equal(failed.failed, true);
  assert.equal(failed.msgId, sent.msgId);
  const refusals = consumer.lines.filter(
    (line) => line.event === 'error' && /no SUB permission on topic 'AliOnsFallback'/.test(String(line.message)),
  );
  assert.ok(refusals.length > 0, `send-back was not refused: ${JSON.stringify(consumer.lines)}`);
  assert.equal(await maxQueueOffset(admin, address, RETRY_TOPIC, 0), 1, `one record in ${RETRY_TOPIC}`);
  assert.notEqual(retried.msgId, sent.msgId, 'a new record, not ali-ons re-running the handler locally');
  assert.equal(retried.originMessageId, sent.msgId, 'ORIGIN_MESSAGE_ID names the first send');
  assert.equal(retried.retryTopic, TOPIC, 'RETRY_TOPIC names the original topic');
  assert.equal(retried.reconsumeTimes, 1);
  assert.equal(retried.bodyBase64, body.toString('base64'));
  assert.equal(retried.keys, FAIL_KEY);
  assert.equal(retried.failed, false);

  consumer.send('close');
  await consumer.waitFor('consumer closed', CLOSE_TIMEOUT_MS, (lines) => lines.find((line) => line.event === 'closed'));
});

test.run();
