// Delivery lateness of delayed messages with 100,000 pending: how long after its due time a held
// message is re-stored in its topic (broker side) and reaches a consumer. Each trial runs its
// own broker (a child process, async flush, default delay levels), starts a consumer, fills
// 100,000 delayed messages well before the first falls due, and waits until all were consumed.
// Then the broker is closed and the bench opens its store to read, per message, the exact due
// time (held record store time + level delay, or TIMER_DELIVER_MS) and the store time of the
// delivered copy; the consumer's receive times join by msgId.
//
//   deliverAt-spread  due times spread evenly over 20 s (5,000 fall due per second)
//   deliverAt-burst   all due at the same instant: the figure is the drain time
//   level-3           delay level 3 (10 s) each: they fall due at the rate they were sent
//
//   npm run build && node dist/native-bench/delayed-delivery.bench.js [--messages 100000] [--only level-3]
//
// Prints one line per trial; writes results/delayed-<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DELAY_LEVELS_MS_DEFAULT, SYSTEM_TOPIC } from '../broker/index.js';
import { Admin, Producer, PushConsumer, type Message } from '../client/index.js';
import { MESSAGE_PROPERTIES, MessageStore, type StoredMessage } from '../storage/index.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';
import { FILL_BODY_BYTES, FILL_QUEUES, windowedFill } from './lib/windowed-fill.js';
import { saveResultsFile } from '../bench/results-file.js';

const TOPIC = 'bench-delayed';
/** The first message falls due this long after the fill starts; the fill must be done by then. */
const LEAD_MS = 15_000;
const SPREAD_MS = 20_000;
const LEVEL = 3;
const SEGMENT_BYTES = 256 * 1024 * 1024;
const READ_BATCH_COUNT = 1024;
/** After the last due time, the consumer must have everything within this long. */
const DRAIN_TIMEOUT_MS = 120_000;

interface TrialSpec {
  readonly id: 'deliverAt-spread' | 'deliverAt-burst' | 'level-3';
  /** The message to send as number i of total, with the fill's start time. */
  message(i: number, total: number, fillStartMs: number, body: Buffer): Message;
}

const TRIALS: readonly TrialSpec[] = [
  {
    id: 'deliverAt-spread',
    message: (i, total, start, body) => ({
      topic: TOPIC,
      body,
      deliverAt: start + LEAD_MS + Math.floor((i * SPREAD_MS) / total),
    }),
  },
  { id: 'deliverAt-burst', message: (_, __, start, body) => ({ topic: TOPIC, body, deliverAt: start + LEAD_MS }) },
  { id: 'level-3', message: (_, __, ___, body) => ({ topic: TOPIC, body, delayLevel: LEVEL }) },
];

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? undefined : process.argv[at + 1];
}

interface Measured {
  readonly fillMs: number;
  readonly received: Map<string, number>;
  readonly lastDueBoundMs: number;
}

/** Runs the broker side of a trial: fill, consume everything, close. */
async function run(spec: TrialSpec, directory: string, total: number): Promise<Measured> {
  const broker = await startBenchBroker(directory);
  const admin = new Admin({ nameServer: broker.nameServer });
  const received = new Map<string, number>();
  let consumer: PushConsumer | undefined;
  const producer = new Producer({ nameServer: broker.nameServer, group: 'bench-delayed-producer' });
  try {
    await admin.createTopic(TOPIC, { queues: FILL_QUEUES });
    for (let tries = 0; !(await admin.listTopics()).includes(TOPIC); tries++) {
      if (tries > 100) throw new Error('the topic never got a route');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    let allReceived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    consumer = new PushConsumer({ nameServer: broker.nameServer, group: 'bench', subscriptions: { [TOPIC]: '*' } });
    await consumer.start((message) => {
      received.set(message.msgId, Date.now());
      if (received.size === total) allReceived();
    });
    await producer.start();
    const body = Buffer.alloc(FILL_BODY_BYTES, 'x');
    const fillStartMs = Date.now();
    await windowedFill(total, (n) => producer.send(spec.message(n, total, fillStartMs, body)));
    const fillMs = Date.now() - fillStartMs;
    const lastDueBoundMs = Date.now() + LEAD_MS + SPREAD_MS + DELAY_LEVELS_MS_DEFAULT[LEVEL - 1]!;
    const timeout = setTimeout(() => allReceived(), lastDueBoundMs + DRAIN_TIMEOUT_MS - Date.now());
    await done;
    clearTimeout(timeout);
    return { fillMs, received, lastDueBoundMs };
  } finally {
    await producer.shutdown();
    await consumer?.shutdown();
    await admin.close();
    await broker.stop();
  }
}

/** Due time of every held message by msgId, and the store time of every delivered copy. */
async function readStore(directory: string): Promise<{ due: Map<string, number>; stored: Map<string, number> }> {
  const store = await MessageStore.open(path.join(directory, 'store'), { segmentBytes: SEGMENT_BYTES });
  const due = new Map<string, number>();
  const stored = new Map<string, number>();
  const scan = (topic: string, queueId: number, each: (message: StoredMessage) => void): void => {
    for (let offset = 0; ;) {
      const result = store.read(topic, queueId, offset, READ_BATCH_COUNT);
      if (result.status !== 'found') return;
      for (const message of result.messages) each(message);
      offset = result.nextQueueOffset;
    }
  };
  try {
    DELAY_LEVELS_MS_DEFAULT.forEach((delayMs, i) =>
      scan(SYSTEM_TOPIC.schedule, i, (m) => due.set(m.msgId, m.storeTimestamp + delayMs)),
    );
    scan(SYSTEM_TOPIC.timer, 0, (m) => due.set(m.msgId, Number(m.properties[MESSAGE_PROPERTIES.timerDeliverMs])));
    for (let queueId = 0; queueId < FILL_QUEUES; queueId++)
      scan(TOPIC, queueId, (m) => stored.set(m.msgId, m.storeTimestamp));
  } finally {
    await store.close();
  }
  return { due, stored };
}

function percentiles(values: number[]): Record<'p50' | 'p90' | 'p99' | 'p999' | 'max', number> {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: sorted.at(-1)! };
}

async function trial(spec: TrialSpec, total: number): Promise<Record<string, unknown>> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-delayed-bench-'));
  try {
    const { fillMs, received } = await run(spec, directory, total);
    const { due, stored } = await readStore(directory);
    const firstDueMs = Math.min(...due.values());
    const storeLate: number[] = [];
    const receiveLate: number[] = [];
    let early = 0;
    for (const [msgId, dueMs] of due) {
      const storedAt = stored.get(msgId);
      if (storedAt === undefined) continue;
      if (storedAt < dueMs) early++;
      storeLate.push(storedAt - dueMs);
      const receivedAt = received.get(msgId);
      if (receivedAt !== undefined) receiveLate.push(receivedAt - dueMs);
    }
    const result = {
      trial: spec.id,
      messages: total,
      held: due.size,
      delivered: stored.size,
      received: received.size,
      early,
      fillMs,
      sendsPerSecond: Math.round((total / fillMs) * 1000),
      heldWhenFirstDue: due.size - [...stored.values()].filter((at) => at < firstDueMs).length,
      storedAfterDueMs: percentiles(storeLate),
      receivedAfterDueMs: percentiles(receiveLate),
    };
    const show = (p: ReturnType<typeof percentiles>): string =>
      `p50 ${p.p50} p90 ${p.p90} p99 ${p.p99} p99.9 ${p.p999} max ${p.max}`;
    console.log(
      `${spec.id.padEnd(16)} ${result.held} held (${result.heldWhenFirstDue} pending at the first due time), ` +
        `filled in ${fillMs} ms; stored after due (ms): ${show(result.storedAfterDueMs)}; ` +
        `received after due (ms): ${show(result.receivedAfterDueMs)}; early: ${early}`,
    );
    return result;
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const total = Number(flag('messages') ?? 100_000);
  const only = flag('only');
  const results = [];
  for (const spec of TRIALS.filter((t) => only === undefined || only.split(',').includes(t.id)))
    results.push(await trial(spec, total));
  const environment = { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), messages: total };
  const file = saveResultsFile({ directory: RESULTS_DIRECTORY, name: 'delayed' }, { environment, results });
  console.log(`wrote ${file}`);
}

await main();
