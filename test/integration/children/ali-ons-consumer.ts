// Child process of test/integration/ali-ons-compat.test.ts: an unchanged ali-ons 3.12.0
// push Consumer (clustering) subscribes to one topic with a tag expression and reports every
// message its handler gets. The handler throws for a message carrying a key of `failures`,
// as many times as that says, so ali-ons sends it back (CONSUMER_SEND_MSG_BACK) to be retried.
// One JSON line per event on stdout:
//
//   {"event":"message", topic, msgId, tags, keys, bodyBase64, reconsumeTimes, ...,
//    "failed": true when the handler threw for it}
//   {"event":"assigned","topic":..,"queueId":..} the consumer took a queue and placed itself
//                                                in it (seen by watching its processQueueTable)
//   {"event":"error","name":..,"message":..}     an 'error' event of the consumer
//   {"event":"held","key":..,"msgId":..}          a message of `holdKeys` waits in the handler
//   {"event":"closing"}                          "close" arrived on stdin; closing starts
//   {"event":"closed"}                           after "close" on stdin: consumer closed
//
// A message carrying a key of `holdKeys` waits in the handler, the first time, until
// "release <key>" arrives on stdin, so a test can change the broker while ali-ons holds it.
// Writing "close" on stdin closes the consumer (committing offsets) and exits 0; stdin closing
// without it (the parent died) exits 3.
// argv[2] is a JSON ConsumerChildConfig.
import readline from 'node:readline';

import ons, { type Message } from 'ali-ons';

export interface ConsumerChildConfig {
  readonly nameServer: string;
  readonly group: string;
  readonly topic: string;
  readonly subExpression: string;
  /** Key -> how many deliveries of a message with that key the handler throws for. */
  readonly failures: Readonly<Record<string, number>>;
  /** Keys whose first delivery waits in the handler for "release <key>" on stdin. */
  readonly holdKeys?: readonly string[];
  /** Passed to ali-ons, which sends it with CONSUMER_SEND_MSG_BACK (default 16). */
  readonly maxReconsumeTimes?: number;
  /** Where a group without committed offsets starts (default: the first offset). */
  readonly consumeFromWhere?: 'CONSUME_FROM_LAST_OFFSET' | 'CONSUME_FROM_FIRST_OFFSET' | 'CONSUME_FROM_TIMESTAMP';
  /** For CONSUME_FROM_TIMESTAMP: local time as 'yyyyMMddHHmmss' (ali-ons' format). */
  readonly consumeTimestamp?: string;
  readonly persistConsumerOffsetIntervalMs?: number;
  /** With both, ali-ons signs every request (AccessKey, OnsChannel, Signature extFields). */
  readonly accessKey?: string;
  readonly secretKey?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ConsumerChildConfig;

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function describe(message: Message): Record<string, unknown> {
  return {
    topic: message.topic,
    msgId: message.msgId,
    tags: message.tags,
    keys: message.keys ?? null,
    bodyBase64: message.body.toString('base64'),
    reconsumeTimes: message.reconsumeTimes,
    queueId: message.queueId,
    queueOffset: message.queueOffset,
    commitLogOffset: message.commitLogOffset,
    bornTimestamp: message.bornTimestamp,
    storeTimestamp: message.storeTimestamp,
    sysFlag: message.sysFlag,
    storeHost: message.storeHost,
    retryTopic: message.retryTopic ?? null,
    originMessageId: message.originMessageId ?? null,
    properties: message.properties,
  };
}

const failuresLeft = new Map(Object.entries(config.failures));
/** Keys whose first delivery is still to be held; releases of deliveries waiting now. */
const holdsLeft = new Set(config.holdKeys ?? []);
const releasedKeys = new Set<string>();
const releases = new Map<string, () => void>();

/**
 * Waits for "release <key>" when a key of the message is held, then throws while a key has
 * failures left, so ali-ons sends the message back.
 */
async function handle(message: Message): Promise<void> {
  const keys = (message.keys ?? '').split(' ');
  const holdKey = keys.find((candidate) => holdsLeft.has(candidate));
  if (holdKey !== undefined) {
    holdsLeft.delete(holdKey);
    report({ event: 'held', key: holdKey, msgId: message.msgId });
    if (!releasedKeys.has(holdKey)) await new Promise<void>((resolve) => releases.set(holdKey, resolve));
  }
  const key = keys.find((candidate) => (failuresLeft.get(candidate) ?? 0) > 0);
  report({ event: 'message', ...describe(message), failed: key !== undefined });
  if (key === undefined) return;
  failuresLeft.set(key, failuresLeft.get(key)! - 1);
  throw new Error(`deliberate failure for key ${key}`);
}

const consumer = new ons.Consumer({
  nameSrv: config.nameServer,
  httpclient: {},
  consumerGroup: config.group,
  consumeFromWhere: config.consumeFromWhere ?? 'CONSUME_FROM_FIRST_OFFSET',
  ...(config.consumeTimestamp === undefined ? {} : { consumeTimestamp: config.consumeTimestamp }),
  ...(config.maxReconsumeTimes === undefined ? {} : { maxReconsumeTimes: config.maxReconsumeTimes }),
  ...(config.persistConsumerOffsetIntervalMs === undefined
    ? {}
    : { persistConsumerOffsetInterval: config.persistConsumerOffsetIntervalMs }),
  ...(config.accessKey === undefined ? {} : { accessKey: config.accessKey, secretKey: config.secretKey }),
});
consumer.on('error', (error: Error) => report({ event: 'error', name: error.name, message: error.message }));
consumer.subscribe(config.topic, config.subExpression, handle);

/** How often the queue assignment is looked at (it only changes at rebalances). */
const ASSIGNMENT_CHECK_INTERVAL_MS = 20;
const assigned = new Set<string>();
setInterval(() => {
  for (const [key, { messageQueue }] of consumer.processQueueTable) {
    if (assigned.has(key)) continue;
    assigned.add(key);
    report({ event: 'assigned', topic: messageQueue.topic, queueId: Number(messageQueue.queueId) });
  }
}, ASSIGNMENT_CHECK_INTERVAL_MS);

let closing = false;
const commands = readline.createInterface({ input: process.stdin });
// The parent went away without saying "close": do not linger (ali-ons never exits by itself).
commands.on('close', () => {
  if (!closing) process.exit(3);
});
commands.on('line', (line) => {
  const [command, key] = line.trim().split(' ');
  if (command === 'release' && key !== undefined) {
    releasedKeys.add(key);
    releases.get(key)?.();
    return;
  }
  if (line.trim() !== 'close' || closing) return;
  closing = true;
  report({ event: 'closing' });
  consumer.close().then(
    () => {
      report({ event: 'closed' });
      process.exit(0);
    },
    (error: unknown) => {
      report({ event: 'error', name: 'CloseError', message: String(error) });
      process.exit(1);
    },
  );
});
