// In-process probe for appendBatch's CPU per message (native-bench/README.md, "Native record
// writer"): appendBatch(100 x 100 B) of the storage trial's message stream, 8 queues, after a
// warm-up, with process.cpuUsage over the loop (the flusher's and prefault's pool threads count
// too). `node dist/native-bench/append-cpu-probe.js [messages] [bodyBytes]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { MessageStore } from '../storage/index.js';
import { MessageStream } from './lib/messages.js';

const GiB = 1024 ** 3;
const BATCH_MESSAGES = 100;
const WARM_UP_MESSAGES = 300_000;
const MESSAGES_DEFAULT = 3_000_000;

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? MESSAGES_DEFAULT);
  const bodyBytes = Number(process.argv[3] ?? 100);
  const directory = mkdtempSync(path.join(tmpdir(), 'append-cpu-probe-'));
  const store = await MessageStore.open(directory, { segmentBytes: GiB, flush: 'async' });
  const stream = new MessageStream(bodyBytes, BATCH_MESSAGES);
  try {
    for (let n = 0; n < WARM_UP_MESSAGES; n += BATCH_MESSAGES) await store.appendBatch(stream.nextMessages());
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let n = 0; n < messages; n += BATCH_MESSAGES) await store.appendBatch(stream.nextMessages());
    const wallNs = Number(process.hrtime.bigint() - started);
    const used = process.cpuUsage(cpu);
    const cpuNs = (used.user + used.system) * 1000;
    const perMessage = (ns: number): string => (ns / messages).toFixed(0);
    console.log(`cpu ${perMessage(cpuNs)} ns/msg, wall ${perMessage(wallNs)} ns/msg, ${messages} messages`);
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
