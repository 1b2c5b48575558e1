// Child process of test/integration/orderly-consumption.test.ts: a PushConsumer with
// `deduplicate` backed by a file (one processed id per line, written before the offset may
// move, so it survives a SIGKILL). The parent kills it with offsets uncommitted and starts it
// again on the same file: the redelivered messages must reach no handler. One JSON line per
// event on stdout:
//
//   {"event":"ready"}                          started, queues assigned
//   {"event":"handled","msgId":..,"body":..}   the handler ran for a message
//   {"event":"remembered","msgId":..}          its id is in the file (the handler succeeded)
//   {"event":"skipped","count":n}              in answer to "report" on stdin
//
// stdin: "report" prints the skipped count; closing stdin (the parent died) exits.
// argv[2] is a JSON DeduplicatingConsumerConfig.
import fs from 'node:fs';
import readline from 'node:readline';

import { PushConsumer, type DeduplicationStore } from '../../../client/index.js';

export interface DeduplicatingConsumerConfig {
  readonly nameServer: string;
  readonly group: string;
  readonly topic: string;
  /** The processed-id file, kept across this child's restarts. */
  readonly storeFile: string;
  /**
   * The handler awaits a turn of the event loop (as one writing to a database does), so the
   * next pull leaves before the message is done and carries no offset for it.
   */
  readonly handlerAwaitsIo?: boolean;
}

/** Processed ids in a file: loaded at start, appended per id (page cache: survives SIGKILL). */
class FileDeduplicationStore implements DeduplicationStore {
  private readonly ids: Set<string>;
  private readonly descriptor: number;

  constructor(file: string) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    this.ids = new Set(text.split('\n').filter((line) => line !== ''));
    this.descriptor = fs.openSync(file, 'a');
  }

  seen(msgId: string): boolean {
    return this.ids.has(msgId);
  }

  remember(msgId: string): void {
    this.ids.add(msgId);
    fs.writeSync(this.descriptor, `${msgId}\n`);
    report({ event: 'remembered', msgId });
  }
}

const config = JSON.parse(process.argv[2] ?? '{}') as DeduplicatingConsumerConfig;

function report(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const consumer = new PushConsumer({
  nameServer: config.nameServer,
  group: config.group,
  subscriptions: { [config.topic]: '*' },
  consumeFrom: 'first',
  // Nothing is committed on a timer while the parent watches: the kill must lose the progress.
  commitIntervalMs: 600_000,
  deduplicate: { store: new FileDeduplicationStore(config.storeFile) },
});
consumer.onError((error) => process.stderr.write(`consumer error: ${String(error)}\n`));
await consumer.start(async (message) => {
  if (config.handlerAwaitsIo === true) await new Promise((resolve) => setImmediate(resolve));
  report({ event: 'handled', msgId: message.msgId, body: message.body.toString('utf8') });
});
report({ event: 'ready' });

const input = readline.createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'report') report({ event: 'skipped', count: consumer.duplicatesSkipped });
});
input.on('close', () => process.exit(3));
