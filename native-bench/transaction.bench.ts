// Transactional against plain sends, side by side in one run: one broker (its own process, async
// flush by default), one topic of 8 queues per variant, 256 B bodies. Round after round (the
// variants' order rotating), each variant sends for a fixed time with `concurrency` sends in
// flight (closed loop: each worker awaits its send, then sends again):
//   - 'plain':          Producer.send with coalescing (concurrent sends to a queue share a batch);
//   - 'plain-single':   Producer.send with batching off: one SEND_MESSAGE_V2 per message;
//   - 'transaction':    TransactionProducer.sendInTransaction with a local transaction that
//                       commits at once: half message (never batched) + END_TRANSACTION (oneway)
//                       + the broker's re-store of the committed message.
// Latency is per call as the caller sees it. For 'transaction' the call returns once END is
// written to the socket, so its throughput counts until every commit is stored (the topic's
// max offsets reach the number sent), not until the last call returned.
//
//   npm run build && node dist/native-bench/transaction.bench.js [--rounds 3] [--seconds 3]
//                                                               [--concurrency 1,64] [--flush sync]
//
// Prints one line per trial and the medians; writes results/transactions-<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { Admin, Producer, TransactionProducer } from '../client/index.js';
import { saveResultsFile } from '../bench/results-file.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';
import { FILL_QUEUES } from './lib/windowed-fill.js';

const BODY = Buffer.alloc(256, 'x');
const WARMUP_SENDS = 2000;
const DRAIN_POLL_MS = 5;
const VARIANTS = ['plain', 'plain-single', 'transaction'] as const;
type Variant = (typeof VARIANTS)[number];

interface Trial {
  readonly variant: Variant;
  readonly concurrency: number;
  readonly round: number;
  readonly messages: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

interface Sender {
  readonly topic: string;
  send(): Promise<unknown>;
  /** Messages stored in the topic so far. */
  stored(): Promise<number>;
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : (process.argv[at + 1] ?? fallback);
}

async function createTopics(admin: Admin): Promise<void> {
  for (const variant of VARIANTS) await admin.createTopic(`bench-${variant}`, { queues: FILL_QUEUES });
  for (let tries = 0; ; tries++) {
    const listed = await admin.listTopics();
    if (VARIANTS.every((variant) => listed.includes(`bench-${variant}`))) return;
    if (tries > 100) throw new Error('the topics never got routes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startSenders(
  nameServer: string,
  admin: Admin,
): Promise<Map<Variant, Sender> & { close(): Promise<void> }> {
  const plain = new Producer({ nameServer, group: 'bench-plain' });
  const single = new Producer({ nameServer, group: 'bench-plain-single', batching: false });
  const transactional = new TransactionProducer({ nameServer, group: 'bench-transaction', check: () => 'commit' });
  await Promise.all([plain.start(), single.start(), transactional.start()]);
  const sender = (topic: string, send: () => Promise<unknown>): Sender => ({
    topic,
    send,
    stored: async () => (await admin.topicStatus(topic)).reduce((sum, queue) => sum + queue.maxOffset, 0),
  });
  const senders = new Map<Variant, Sender>([
    ['plain', sender('bench-plain', () => plain.send({ topic: 'bench-plain', body: BODY }))],
    ['plain-single', sender('bench-plain-single', () => single.send({ topic: 'bench-plain-single', body: BODY }))],
    [
      'transaction',
      sender('bench-transaction', () =>
        transactional.sendInTransaction({ topic: 'bench-transaction', body: BODY }, () => 'commit'),
      ),
    ],
  ]);
  return Object.assign(senders, {
    close: async () => {
      await Promise.all([plain.shutdown(), single.shutdown(), transactional.shutdown()]);
    },
  });
}

/** Sends for `seconds` with `concurrency` in flight; waits until all are stored; the figures. */
async function runTrial(
  sender: Sender,
  concurrency: number,
  seconds: number,
): Promise<Omit<Trial, 'variant' | 'round'>> {
  const storedBefore = await sender.stored();
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      await sender.send();
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  while ((await sender.stored()) < storedBefore + latencies.length) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    concurrency,
    messages: latencies.length,
    perSecond: (latencies.length / elapsedMs) * 1000,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    meanMs: latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const rounds = Number(flag('rounds', '3'));
  const seconds = Number(flag('seconds', '3'));
  const levels = flag('concurrency', '1,64').split(',').map(Number);
  const flush = flag('flush', 'async');
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-transaction-bench-'));
  const broker = await startBenchBroker(directory, flush === 'sync' ? 'sync' : 'async');
  const admin = new Admin({ nameServer: broker.nameServer });
  const trials: Trial[] = [];
  try {
    await createTopics(admin);
    const senders = await startSenders(broker.nameServer, admin);
    try {
      for (const sender of senders.values()) for (let i = 0; i < WARMUP_SENDS; i++) await sender.send();
      for (let round = 1; round <= rounds; round++) {
        for (const concurrency of levels) {
          for (let k = 0; k < VARIANTS.length; k++) {
            const variant = VARIANTS[(k + round) % VARIANTS.length]!;
            const trial = { variant, round, ...(await runTrial(senders.get(variant)!, concurrency, seconds)) };
            trials.push(trial);
            console.log(describe(trial));
          }
        }
      }
    } finally {
      await senders.close();
    }
  } finally {
    await admin.close();
    await broker.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  }
  summarize(trials, { rounds, seconds, levels, flush });
}

function describe(t: Omit<Trial, 'round'> & { round?: number }): string {
  return (
    `${t.round === undefined ? 'median ' : `round ${t.round}`} ${t.variant.padEnd(12)} c=${String(t.concurrency).padEnd(3)} ` +
    `${String(Math.round(t.perSecond)).padStart(7)} msgs/s  p50 ${t.p50Ms.toFixed(3)} ms  p99 ${t.p99Ms.toFixed(3)} ms  ` +
    `mean ${t.meanMs.toFixed(3)} ms  (${t.messages} msgs)`
  );
}

function summarize(trials: readonly Trial[], settings: Record<string, unknown>): void {
  const summary = [];
  for (const concurrency of new Set(trials.map((t) => t.concurrency))) {
    for (const variant of VARIANTS) {
      const of = trials.filter((t) => t.variant === variant && t.concurrency === concurrency);
      const row = {
        variant,
        concurrency,
        messages: median(of.map((t) => t.messages)),
        perSecond: median(of.map((t) => t.perSecond)),
        p50Ms: median(of.map((t) => t.p50Ms)),
        p99Ms: median(of.map((t) => t.p99Ms)),
        meanMs: median(of.map((t) => t.meanMs)),
      };
      summary.push(row);
      console.log(describe(row));
    }
  }
  const environment = { node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), ...settings };
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'transactions' },
    { environment, summary, trials },
  );
  console.log(`wrote ${file}`);
}

await main();
