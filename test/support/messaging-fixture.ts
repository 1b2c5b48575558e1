// Shared set-up for client end-to-end tests: a broker process (with its name server), a topic,
// and helpers to run producers and consumers against it and to wait for conditions.
import type { ConnectionLimits } from '../../broker/index.js';
import { Admin, PushConsumer, type PushConsumerOptions, type ReceivedMessage } from '../../client/index.js';
import {
  startBrokerProcess,
  TEST_DELAY_LEVELS_MS,
  TEST_STORE_OPTIONS,
  type BrokerProcess,
} from './broker-processes.js';
import { pollUntil } from './broker-requests.js';
import { temporaryDirectory } from './temporary-directory.js';

export interface MessagingFixture {
  readonly broker: BrokerProcess;
  readonly nameServer: string;
  readonly admin: Admin;
  close(): Promise<void>;
}

export async function startMessaging(
  label: string,
  options: { flush?: 'async' | 'sync'; topics?: Record<string, number>; connectionLimits?: ConnectionLimits } = {},
): Promise<MessagingFixture> {
  const directory = temporaryDirectory(label);
  const broker = await startBrokerProcess({
    dataDirectory: directory.path,
    flush: options.flush ?? 'async',
    delayLevelsMs: TEST_DELAY_LEVELS_MS,
    store: TEST_STORE_OPTIONS,
    ...(options.connectionLimits === undefined ? {} : { connectionLimits: options.connectionLimits }),
    label,
  });
  const nameServer = broker.nameServerAddress!;
  const admin = new Admin({ nameServer });
  try {
    for (const [topic, queues] of Object.entries(options.topics ?? {})) await admin.createTopic(topic, { queues });
    for (const topic of Object.keys(options.topics ?? {}))
      await pollUntil(`route of ${topic}`, 10_000, async () => (await admin.listTopics()).includes(topic) || undefined);
  } catch (error) {
    await admin.close();
    await broker.stop();
    directory.remove();
    throw error;
  }
  return {
    broker,
    nameServer,
    admin,
    close: async () => {
      await admin.close();
      await broker.stop();
      directory.remove();
    },
  };
}

/** A started consumer that records what it received, in handler start order. */
export async function recordingConsumer(
  options: PushConsumerOptions,
  onMessage?: (message: ReceivedMessage) => unknown,
): Promise<{ consumer: PushConsumer; received: ReceivedMessage[] }> {
  const consumer = new PushConsumer(options);
  const received: ReceivedMessage[] = [];
  await consumer.start(async (message) => {
    received.push(message);
    return onMessage?.(message);
  });
  return { consumer, received };
}

export function waitFor(what: string, timeoutMs: number, condition: () => boolean): Promise<true> {
  return pollUntil(what, timeoutMs, () => (condition() ? true : undefined));
}
