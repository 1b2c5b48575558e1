// `tributary consume`: joins a consumer group and prints what it receives. It stops after
// --count messages, after --timeout-ms without a new message, or on SIGINT/SIGTERM; in every
// case it shuts the consumer down cleanly, committing the offsets of the printed messages
// (and only those), so the next run of the group continues where this one stopped.
import { PushConsumer, type ReceivedMessage, Admin } from '../../client/index.js';
import { cliCommand } from './cli-command.js';
import { CliFailure, cliFailure } from '../cli-failure.js';
import { clientSecurityFromEnvironment } from '../flags/client-security.js';
import { messageLine, messageView } from '../message-view.js';
import { NAMESRV_FLAG, nameServerAddress } from '../flags/name-server-address.js';
import { topicArgument } from '../flags/topic-argument.js';

export const consumeCommand = cliCommand(
  'consume',
  {
    name: 'consume',
    summary: 'Receives messages of a topic as a member of a consumer group and prints them.',
    flags: {
      topic: { type: 'string', required: true, placeholder: 'topic', description: 'topic to consume' },
      group: { type: 'string', required: true, placeholder: 'group', description: 'consumer group' },
      tags: { type: 'string', placeholder: "'a || b'", description: 'tag filter', defaultText: "'*', every tag" },
      from: {
        type: 'string',
        choices: ['first', 'last'],
        description: 'where a group without committed offsets starts',
        defaultText: 'last',
      },
      count: { type: 'integer', min: 1, description: 'exit after this many messages' },
      'timeout-ms': { type: 'integer', min: 1, description: 'exit after this long without a message' },
      json: { type: 'boolean', description: 'print one JSON object per message' },
      namesrv: NAMESRV_FLAG,
    },
    examples: [
      'tributary consume --topic orders --group billing --from first',
      "tributary consume --topic orders --group audit --tags 'paid || refunded' --count 10 --json",
    ],
  },
  async (line) => {
    const topic = topicArgument(line, line.string('topic')!);
    const nameServer = nameServerAddress(line);
    const count = line.integer('count');
    const json = line.boolean('json');
    const consumer = new PushConsumer({
      nameServer,
      group: line.string('group')!,
      subscriptions: { [topic]: line.string('tags', '*') },
      consumeFrom: line.string('from', 'last') as 'first' | 'last',
      ...clientSecurityFromEnvironment(),
    });
    let outcome: { received: number; idle: boolean };
    try {
      if (!line.has('from')) await sayWhereANewGroupStarts(nameServer, line.string('group')!, topic);
      await consumer.start();
      outcome = await consumeUntilDone(consumer, count, line.integer('timeout-ms'), (message) => {
        console.log(json ? JSON.stringify(messageView(message)) : messageLine(message));
      });
    } catch (error) {
      await consumer.shutdown();
      throw cliFailure(error, { topic, nameServer });
    }
    if (count !== undefined && outcome.received < count) {
      const why = outcome.idle ? `no message for ${line.integer('timeout-ms')} ms` : 'interrupted';
      throw new CliFailure(`${why}: received ${outcome.received} of ${count} messages`);
    }
  },
);

/**
 * A group with no committed offset starts by RocketMQ's rule (--from last): at the end of a
 * queue, except a queue whose first message is still in memory, which it reads from the start.
 * Say so, since a newcomer cannot tell which it will get.
 */
async function sayWhereANewGroupStarts(nameServer: string, group: string, topic: string): Promise<void> {
  const admin = new Admin({ nameServer, ...clientSecurityFromEnvironment() });
  try {
    if (await admin.hasCommittedOffsets(group, topic)) return;
  } finally {
    await admin.close();
  }
  console.error(
    `tributary: group ${group} has no committed offsets in ${topic}: starting from the last message ` +
      `of each queue, or from the first where the queue's first message is still in memory ` +
      `(RocketMQ's rule); use --from first to read the whole backlog`,
  );
}

/**
 * Iterator mode, because a message counts as done only when the loop asks for the next one:
 * after the last wanted message, asking once more marks it done, and whatever that brings is
 * left uncommitted for the group's next run. Shutting down ends a pending ask.
 */
async function consumeUntilDone(
  consumer: PushConsumer,
  count: number | undefined,
  idleTimeoutMs: number | undefined,
  print: (message: ReceivedMessage) => void,
): Promise<{ received: number; idle: boolean }> {
  let stopping: Promise<void> | undefined;
  let idle = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const stop = (): Promise<void> => (stopping ??= consumer.shutdown());
  const armIdleTimer = (): void => {
    clearTimeout(idleTimer);
    if (idleTimeoutMs !== undefined) {
      idleTimer = setTimeout(() => {
        idle = true;
        void stop();
      }, idleTimeoutMs);
    }
  };
  const onSignal = (): void => void stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const messages = consumer.messages();
  let received = 0;
  try {
    armIdleTimer();
    for (;;) {
      const next = await messages.next();
      if (next.done === true) break;
      print(next.value);
      received++;
      armIdleTimer();
      if (received === count) {
        const last = messages.next();
        await stop();
        await last;
        break;
      }
    }
    await stop();
  } finally {
    clearTimeout(idleTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { received, idle };
}
