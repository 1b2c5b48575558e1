// Clients that heartbeat once and go (no ACL, so anyone can): what the broker made for them
// must go with them. Their registrations leave the group and connection tables when their
// connections close, and the %RETRY% topic of each group costs no files until it holds a
// message. Also the bounds UPDATE_CONSUMER_OFFSET puts on what it stores.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';

import { bodyOf } from '../../protocol/remoting-command.js';
import { RemotingClient } from '../../client/remoting/remoting-client.js';
import { REQUEST_CODE } from '../../protocol/request-code.js';
import { RESPONSE_CODE } from '../../protocol/response-code.js';
import { Producer } from '../../client/index.js';
import { maxQueueOffset, pollUntil, queryConsumerOffset } from '../support/broker-requests.js';
import { recordingConsumer, startMessaging, waitFor, type MessagingFixture } from '../support/messaging-fixture.js';

const TOPIC = 'short-lived';
const QUEUES = 2;
const CLIENTS = 20;
const WAIT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5000;

let fixture: MessagingFixture | undefined;
const probe = new RemotingClient();

function messaging(): MessagingFixture {
  assert.ok(fixture !== undefined, 'the broker did not start');
  return fixture;
}

function heartbeat(clientId: string, group: string): { code: number; body: Buffer } {
  const consumer = {
    groupName: group,
    consumeType: 'CONSUME_PASSIVELY',
    messageModel: 'CLUSTERING',
    consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
    subscriptionDataSet: [{ topic: TOPIC, subString: '*' }],
  };
  const data = { clientID: clientId, producerDataSet: [{ groupName: `${group}-p` }], consumerDataSet: [consumer] };
  return { code: REQUEST_CODE.HEART_BEAT, body: Buffer.from(JSON.stringify(data)) };
}

/** Consume queue directories of `topic` on disk (none when it has no files). */
function queueDirectories(topic: string): string[] {
  const directory = path.join(messaging().broker.dataDirectory, 'store', 'consumequeue', topic);
  return fs.existsSync(directory) ? fs.readdirSync(directory) : [];
}

function updateOffset(
  group: string,
  queueId: number,
  commitOffset: number,
): Promise<{ code: number; remark?: string }> {
  return probe.invoke(
    messaging().broker.address,
    {
      code: REQUEST_CODE.UPDATE_CONSUMER_OFFSET,
      extFields: { consumerGroup: group, topic: TOPIC, queueId, commitOffset },
    },
    REQUEST_TIMEOUT_MS,
  );
}

async function allTopics(): Promise<string[]> {
  const response = await probe.invoke(
    messaging().broker.address,
    { code: REQUEST_CODE.GET_ALL_TOPIC_CONFIG },
    REQUEST_TIMEOUT_MS,
  );
  assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
  const { topicConfigTable } = JSON.parse(bodyOf(response).toString('utf8')) as { topicConfigTable: object };
  return Object.keys(topicConfigTable);
}

test.before(async () => {
  fixture = await startMessaging('short-lived-clients', { topics: { [TOPIC]: QUEUES } });
});

test.after(async () => {
  probe.close();
  await fixture?.close();
});

test('twenty short-lived clients heartbeat with distinct groups and close: no retry-topic files stay on disk and no registration stays', async () => {
  const groups = Array.from({ length: CLIENTS }, (_, i) => `short-lived-${i}`);
  for (const [i, group] of groups.entries()) {
    const client = new RemotingClient();
    const response = await client.invoke(
      messaging().broker.address,
      heartbeat(`client-${i}`, group),
      REQUEST_TIMEOUT_MS,
    );
    assert.equal(response.code, RESPONSE_CODE.SUCCESS, response.remark);
    client.close();
  }
  for (const group of groups) {
    await pollUntil(`${group} gone from the connection table`, WAIT_MS, async () => {
      const response = await probe.invoke(
        messaging().broker.address,
        { code: REQUEST_CODE.GET_CONSUMER_CONNECTION_LIST, extFields: { consumerGroup: group } },
        REQUEST_TIMEOUT_MS,
      );
      return response.code === RESPONSE_CODE.CONSUMER_NOT_ONLINE ? true : undefined;
    });
    assert.deepEqual(queueDirectories(`%RETRY%${group}`), [], `files of %RETRY%${group}`);
  }
  await pollUntil('their retry topics removed', WAIT_MS, async () => {
    const topics = await allTopics();
    return groups.every((group) => !topics.includes(`%RETRY%${group}`)) ? true : undefined;
  });
});

test('a retry topic gets its files with its first message, and the retry still arrives', async () => {
  const group = 'short-lived-retrying';
  const producer = new Producer({ nameServer: messaging().nameServer, group: `${group}-producer` });
  await producer.start();
  const { consumer, received } = await recordingConsumer(
    { nameServer: messaging().nameServer, group, subscriptions: { [TOPIC]: '*' }, consumeFrom: 'first' },
    (message) => {
      if (message.reconsumeTimes === 0) throw new Error('fail once, to be retried');
    },
  );
  const attempts = (): number[] => received.map((message) => message.reconsumeTimes);
  try {
    assert.deepEqual(queueDirectories(`%RETRY%${group}`), []);
    await producer.send({ topic: TOPIC, body: 'retry me' });
    await waitFor('the retried delivery', WAIT_MS, () => attempts().includes(1));
    assert.ok(queueDirectories(`%RETRY%${group}`).length > 0, 'the retry topic has its files once it holds a message');
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
  }
});

/** An offset a refused UPDATE_CONSUMER_OFFSET carries, so a query can tell it was not stored. */
const REFUSED_OFFSET = 7;

test('UPDATE_CONSUMER_OFFSET refuses a queue id outside the topic and a negative offset, and clamps one past the queue end', async () => {
  const group = 'short-lived-offsets';
  for (const queueId of [QUEUES, 1_000_000, -1]) {
    const response = await updateOffset(group, queueId, REFUSED_OFFSET);
    assert.equal(response.code, RESPONSE_CODE.SYSTEM_ERROR, `queue ${queueId}`);
    assert.match(response.remark ?? '', /\[QUEUE_ID_OUT_OF_RANGE\]/);
  }
  const negative = await updateOffset(group, 0, -5);
  assert.equal(negative.code, RESPONSE_CODE.SYSTEM_ERROR);
  assert.match(negative.remark ?? '', /\[NEGATIVE_OFFSET\]/);
  const unknown = await probe.invoke(
    messaging().broker.address,
    {
      code: REQUEST_CODE.UPDATE_CONSUMER_OFFSET,
      extFields: { consumerGroup: group, topic: 'short-lived-nowhere', queueId: 0, commitOffset: 0 },
    },
    REQUEST_TIMEOUT_MS,
  );
  assert.equal(unknown.code, RESPONSE_CODE.TOPIC_NOT_EXIST);
  const end = await maxQueueOffset(probe, messaging().broker.address, TOPIC, 0);
  const past = await updateOffset(group, 0, end + 1_000_000);
  assert.equal(past.code, RESPONSE_CODE.SUCCESS);
  assert.equal(await queryConsumerOffset(probe, messaging().broker.address, group, TOPIC, 0), end);
  // Nothing was stored for them: a query answers what any new group gets (RocketMQ's rule
  // gives 0 for a queue that starts at 0), never the refused offset.
  for (const queueId of [QUEUES, 1_000_000]) {
    assert.notEqual(
      await queryConsumerOffset(probe, messaging().broker.address, group, TOPIC, queueId),
      REFUSED_OFFSET,
    );
  }
});

test.run();
