// `--auto-create-topics` with Tributary's own producer and CLI: a topic no name server routes
// is sent on the default topic's (TBW102) route, as RocketMQ's producers do, and the broker
// creates it at the first send. Without the flag the send fails with a clear NO_ROUTE.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { test } from 'uvu';

import { ClientError, Producer, PushConsumer, type ReceivedMessage } from '../../client/index.js';
import { AUTO_CREATE_TOPIC_QUEUE_COUNT } from '../../protocol/header-fields.js';
import { startBrokerProcess, type BrokerProcess } from '../support/broker-processes.js';
import { waitFor } from '../support/messaging-fixture.js';
import { temporaryDirectory } from '../support/temporary-directory.js';

const CLI_SCRIPT = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const STEP_TIMEOUT_MS = 15_000;
const run = promisify(execFile);

async function withBroker(autoCreateTopics: boolean, work: (broker: BrokerProcess) => Promise<void>): Promise<void> {
  const directory = temporaryDirectory('auto-create');
  const broker = await startBrokerProcess({
    dataDirectory: path.join(directory.path, 'data'),
    autoCreateTopics,
    label: autoCreateTopics ? 'auto-create broker' : 'plain broker',
  });
  try {
    await work(broker);
  } finally {
    await broker.stop();
    directory.remove();
  }
}

async function consumeOne(nameServer: string, topic: string): Promise<ReceivedMessage> {
  const received: ReceivedMessage[] = [];
  const consumer = new PushConsumer({
    nameServer,
    group: `${topic}-reader`,
    subscriptions: { [topic]: '*' },
    consumeFrom: 'first',
  });
  await consumer.start((message) => void received.push(message));
  try {
    await waitFor(`a message of ${topic}`, STEP_TIMEOUT_MS, () => received.length > 0);
    return received[0]!;
  } finally {
    await consumer.shutdown();
  }
}

test('a send to a never-created topic on a broker with --auto-create-topics is stored and consumable (producer and CLI)', async () => {
  await withBroker(true, async (broker) => {
    const nameServer = broker.nameServerAddress!;
    const producer = new Producer({ nameServer, group: 'auto-producer' });
    await producer.start();
    try {
      const sent = await producer.send({ topic: 'AutoCreated', body: 'first of its topic' });
      assert.ok(sent.queueId < AUTO_CREATE_TOPIC_QUEUE_COUNT, `queue ${sent.queueId}`);
      const message = await consumeOne(nameServer, 'AutoCreated');
      assert.equal(message.msgId, sent.msgId);
      assert.equal(message.body.toString('utf8'), 'first of its topic');
    } finally {
      await producer.shutdown();
    }
    const cli = await run(process.execPath, [
      CLI_SCRIPT,
      'produce',
      '--topic',
      'AutoCreatedByCli',
      '--body',
      'from the cli',
      '--namesrv',
      nameServer,
    ]);
    assert.match(cli.stdout, /^msgId=[0-9A-F]{32} /);
    assert.equal((await consumeOne(nameServer, 'AutoCreatedByCli')).body.toString('utf8'), 'from the cli');
  });
});

test('without --auto-create-topics a send to a never-created topic fails with NO_ROUTE and creates nothing', async () => {
  await withBroker(false, async (broker) => {
    const producer = new Producer({ nameServer: broker.nameServerAddress!, group: 'plain-producer' });
    await producer.start();
    try {
      await assert.rejects(
        producer.send({ topic: 'NeverCreated', body: 'x' }),
        (error: unknown) =>
          error instanceof ClientError && error.code === 'NO_ROUTE' && /NeverCreated/.test(error.message),
      );
    } finally {
      await producer.shutdown();
    }
  });
});

test.run();
