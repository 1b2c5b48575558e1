// Orderly against concurrent consumption, side by side in one run: one broker (its own process,
// async flush), one topic of 8 queues pre-filled with messages spread over 64 sharding keys;
// then, round after round, a fresh consumer group drains the topic from the first offset in
// each mode, alternating which mode goes first. Two handler profiles:
//   - 'noop':  the handler returns at once, so the figure is the client's own cost per message;
//   - 'io1ms': the handler awaits a 1 ms timer (a stand-in for a database call), so the figure
//              shows how much parallelism each mode gets: orderly at most one per queue (8).
//
//   npm run build && node dist/native-bench/orderly.bench.js [--rounds 3] [--messages 100000]
//
// Prints one line per trial and a summary of medians; writes results/orderly-<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Admin, Producer, PushConsumer } from '../client/index.js';
import { saveResultsFile } from '../bench/results-file.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';
import { FILL_BODY_BYTES, FILL_QUEUES, windowedFill } from './lib/windowed-fill.js';

const TOPIC = 'bench-orderly';
const KEYS = 64;
/** The 1 ms profile drains fewer messages: it is bound by timer waits, not by the client. */
const IO_MESSAGES_DIVISOR = 5;
const CONCURRENCY = 16;

type Mode = 'concurrent' | 'orderly';
type Profile = 'noop' | 'io1ms';

interface Trial {
  readonly mode: Mode;
  readonly profile: Profile;
  readonly round: number;
  readonly messages: number;
  /** From start() to the last message done, including joining the group and the first pulls. */
  readonly ms: number;
  /** From the first message handed to the handler to the last one done: the steady rate. */
  readonly firstToLastMs: number;
  readonly perSecond: number;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

async function fill(nameServer: string, total: number): Promise<void> {
  const producer = new Producer({ nameServer, group: 'bench-orderly-producer' });
  await producer.start();
  const body = Buffer.alloc(FILL_BODY_BYTES, 'x');
  await windowedFill(total, (n) => producer.send({ topic: TOPIC, body, shardingKey: `key-${n % KEYS}` }));
  await producer.shutdown();
}

/** Drains `total` messages (the first of the topic) with a fresh group; resolves with the times taken. */
async function drain(nameServer: string, mode: Mode, profile: Profile, group: string, total: number) {
  let consumed = 0;
  let firstAt = 0;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumer = new PushConsumer({
    nameServer,
    group,
    subscriptions: { [TOPIC]: '*' },
    consumeFrom: 'first',
    orderly: mode === 'orderly',
    concurrency: CONCURRENCY,
  });
  const started = performance.now();
  await consumer.start(async () => {
    if (firstAt === 0) firstAt = performance.now();
    if (profile === 'io1ms') await new Promise((resolve) => setTimeout(resolve, 1));
    if (++consumed === total) done();
  });
  await finished;
  const finishedAt = performance.now();
  await consumer.shutdown();
  return { ms: finishedAt - started, firstToLastMs: finishedAt - firstAt };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const rounds = flag('rounds', 3);
  const messages = flag('messages', 100_000);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-orderly-bench-'));
  const broker = await startBenchBroker(directory);
  const admin = new Admin({ nameServer: broker.nameServer });
  const trials: Trial[] = [];
  try {
    await admin.createTopic(TOPIC, { queues: FILL_QUEUES });
    for (let tries = 0; !(await admin.listTopics()).includes(TOPIC); tries++) {
      if (tries > 100) throw new Error('the topic never got a route');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const fillStarted = performance.now();
    await fill(broker.nameServer, messages);
    console.log(`filled ${messages} messages in ${(performance.now() - fillStarted).toFixed(0)} ms`);
    for (let round = 1; round <= rounds; round++) {
      for (const profile of ['noop', 'io1ms'] as const) {
        const modes: Mode[] = round % 2 === 1 ? ['orderly', 'concurrent'] : ['concurrent', 'orderly'];
        for (const mode of modes) {
          const total = profile === 'noop' ? messages : Math.floor(messages / IO_MESSAGES_DIVISOR);
          const group = `bench-${mode}-${profile}-${round}`;
          const { ms, firstToLastMs } = await drain(broker.nameServer, mode, profile, group, total);
          const perSecond = (total / firstToLastMs) * 1000;
          trials.push({ mode, profile, round, messages: total, ms, firstToLastMs, perSecond });
          console.log(
            `round ${round} ${profile.padEnd(5)} ${mode.padEnd(10)} ${total} msgs: first to last ` +
              `${firstToLastMs.toFixed(0)} ms = ${Math.round(perSecond)} msgs/s (start to last ${ms.toFixed(0)} ms)`,
          );
        }
      }
    }
  } finally {
    await admin.close();
    await broker.stop();
  }
  summarize(trials, rounds, messages);
  fs.rmSync(directory, { recursive: true, force: true });
}

function summarize(trials: readonly Trial[], rounds: number, messages: number): void {
  const summary: Record<string, unknown> = {};
  for (const profile of ['noop', 'io1ms'] as const) {
    const rate = (mode: Mode): number =>
      median(trials.filter((t) => t.mode === mode && t.profile === profile).map((t) => t.perSecond));
    const ratios = [...new Set(trials.map((t) => t.round))].map((round) => {
      const of = (mode: Mode): number =>
        trials.find((t) => t.round === round && t.mode === mode && t.profile === profile)!.perSecond;
      return of('orderly') / of('concurrent');
    });
    summary[profile] = { orderly: rate('orderly'), concurrent: rate('concurrent'), ratioMedian: median(ratios) };
    console.log(
      `${profile}: orderly ${Math.round(rate('orderly'))} msgs/s, concurrent ${Math.round(rate('concurrent'))} ` +
        `msgs/s, orderly/concurrent ${median(ratios).toFixed(2)} (per-round ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
    );
  }
  const environment = { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), rounds, messages };
  const document = { environment, queues: FILL_QUEUES, keys: KEYS, summary, trials };
  const file = saveResultsFile({ directory: RESULTS_DIRECTORY, name: 'orderly' }, document);
  console.log(`wrote ${file}`);
}

await main();
