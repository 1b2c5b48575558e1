// Child process of test/integration/ali-ons-compat.test.ts: an unchanged ali-ons 3.12.0
// Producer sends the configured messages in order, then closes and exits (ali-ons never lets a
// process exit by itself). One JSON line per event on stdout:
//
//   {"event":"sent","index":i,"msgId":..,"queueId":..,"queueOffset":..,"sendStatus":..}
//   {"event":"error","name":..,"message":..}     an 'error' event of the producer
//   {"event":"done"}                             every message sent, producer closed
//   {"event":"failed","message":..}              a send threw; exit code 1
//
// If stdin closes first (the parent died), it exits 3.
//
// argv[2] is a JSON ProducerChildConfig.
import ons from 'ali-ons';

export interface ProducerChildMessage {
  readonly topic: string;
  /** Absent: the 2-argument Message form, which ali-ons sends as TAGS "null". */
  readonly tags?: string;
  readonly keys?: readonly string[];
  readonly bodyBase64: string;
  readonly delayTimeLevel?: number;
  /**
   * Properties set as they are, before tags, keys and delay: a received message's properties
   * as ali-ons decoded them, to send it on as an application forwarding it would.
   */
  readonly properties?: Readonly<Record<string, string>>;
}

export interface ProducerChildConfig {
  readonly nameServer: string;
  readonly group: string;
  readonly messages: readonly ProducerChildMessage[];
  /** With both, ali-ons signs every request (AccessKey, OnsChannel, Signature extFields). */
  readonly accessKey?: string;
  readonly secretKey?: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ProducerChildConfig;

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function toMessage(spec: ProducerChildMessage): InstanceType<typeof ons.Message> {
  const body = Buffer.from(spec.bodyBase64, 'base64');
  const message =
    spec.tags === undefined ? new ons.Message(spec.topic, body) : new ons.Message(spec.topic, spec.tags, body);
  if (spec.properties !== undefined) Object.assign(message.properties, spec.properties);
  if (spec.keys !== undefined) message.keys = spec.keys;
  if (spec.delayTimeLevel !== undefined) message.delayTimeLevel = spec.delayTimeLevel;
  return message;
}

async function main(): Promise<void> {
  const credentials =
    config.accessKey === undefined ? {} : { accessKey: config.accessKey, secretKey: config.secretKey };
  const producer = new ons.Producer({
    nameSrv: config.nameServer,
    httpclient: {},
    producerGroup: config.group,
    ...credentials,
  });
  producer.on('error', (error: Error) => report({ event: 'error', name: error.name, message: error.message }));
  await producer.ready();
  for (const [index, spec] of config.messages.entries()) {
    const result = await producer.send(toMessage(spec));
    const { msgId, queueOffset, sendStatus } = result;
    report({ event: 'sent', index, msgId, queueId: result.messageQueue.queueId, queueOffset, sendStatus });
  }
  await producer.close();
  report({ event: 'done' });
}

// The parent went away (stdin closed): do not linger, ali-ons would keep the process alive.
process.stdin.on('end', () => process.exit(3));
process.stdin.resume();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    report({ event: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    process.exit(1);
  },
);
