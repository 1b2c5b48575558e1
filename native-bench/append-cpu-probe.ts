// In-process probe for appendBatch's CPU per message (native-bench/README.md, "Native record
// writer"): appendBatch(100 x 100 B) of the storage trial's message stream, 8 queues, after a
// warm-up, with process.cpuUsage over the loop (the flusher's and prefault's pool threads count
// too), and the main thread's own CPU and minor page faults from /proc (Linux).
// `node dist/native-bench/append-cpu-probe.js [messages] [bodyBytes]`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { MessageStore } from '../storage/index.js';
import { MessageStream } from './lib/messages.js';

const GiB = 1024 ** 3;
const BATCH_MESSAGES = 100;
const WARM_UP_MESSAGES = 300_000;
const MESSAGES_DEFAULT = 3_000_000;
/** /proc's stat times are in clock ticks: 100 a second on Linux. */
const NS_PER_CLOCK_TICK = 10_000_000;

/** The main thread's CPU time (ns) and minor page faults so far, from /proc/self/task/<pid>/stat. */
function mainThread(): { cpuNs: number; systemNs: number; minorFaults: number } {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  // Fields after the command name (in parentheses): state is field 3, minflt 10, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    cpuNs: (Number(fields[11]) + Number(fields[12])) * NS_PER_CLOCK_TICK,
    systemNs: Number(fields[12]) * NS_PER_CLOCK_TICK,
    minorFaults: Number(fields[7]),
  };
}

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? MESSAGES_DEFAULT);
  const bodyBytes = Number(process.argv[3] ?? 100);
  const directory = mkdtempSync(path.join(tmpdir(), 'append-cpu-probe-'));
  const store = await MessageStore.open(directory, { segmentBytes: GiB, flush: 'async' });
  const stream = new MessageStream(bodyBytes, BATCH_MESSAGES);
  try {
    for (let n = 0; n < WARM_UP_MESSAGES; n += BATCH_MESSAGES) await store.appendBatch(stream.nextMessages());
    const cpu = process.cpuUsage();
    const main = mainThread();
    const started = process.hrtime.bigint();
    for (let n = 0; n < messages; n += BATCH_MESSAGES) await store.appendBatch(stream.nextMessages());
    const wallNs = Number(process.hrtime.bigint() - started);
    const used = process.cpuUsage(cpu);
    const mainAfter = mainThread();
    const cpuNs = (used.user + used.system) * 1000;
    const perMessage = (ns: number): string => (ns / messages).toFixed(0);
    const mainNs = mainAfter.cpuNs - main.cpuNs;
    const systemNs = mainAfter.systemNs - main.systemNs;
    const faults = mainAfter.minorFaults - main.minorFaults;
    console.log(
      `cpu ${perMessage(cpuNs)} ns/msg (main thread ${perMessage(mainNs)}, of it system ${perMessage(systemNs)}, ${faults} minor faults), ` +
        `wall ${perMessage(wallNs)} ns/msg, ${messages} messages`,
    );
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
