// Child process of test/integration/transactions.test.ts: a TransactionProducer that sends one
// half message and then hangs in its local transaction, never ending it, so the parent can
// SIGKILL it with the transaction open. Its own checker never decides ('unknown'). One JSON line
// on stdout:
//
//   {"event":"half","msgId":..,"queueOffset":..}   the half message is stored; the local
//                                                  transaction now waits forever
//   {"event":"failed","message":..}                the send failed; exit code 1
//
// If stdin closes (the parent died), it exits 3.
//
// argv[2] is a JSON TransactionChildConfig.
import { TransactionProducer } from '../../../client/index.js';

export interface TransactionChildConfig {
  readonly nameServer: string;
  readonly group: string;
  readonly topic: string;
  readonly body: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as TransactionChildConfig;

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const producer = new TransactionProducer({
    nameServer: config.nameServer,
    group: config.group,
    check: () => 'unknown',
  });
  await producer.start();
  await producer.sendInTransaction({ topic: config.topic, body: config.body }, async (_message, sent) => {
    report({ event: 'half', msgId: sent.msgId, queueOffset: sent.queueOffset });
    return new Promise<never>(() => undefined);
  });
}

process.stdin.on('end', () => process.exit(3));
process.stdin.resume();

main().catch((error: unknown) => {
  report({ event: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  process.exit(1);
});
