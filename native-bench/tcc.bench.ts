// TCC global transactions per second with 2 branches. One broker (the coordinator, its own
// process, async flush by default); two participants (resources bench-a and bench-b, in-memory
// handlers that only count) and the initiators in this process. Each initiator loops: begin,
// try bench-a, try bench-b, commit (closed loop, `concurrency` in flight). A transaction counts
// once both branches are confirmed: throughput runs until the participants have seen every
// confirm, not until the last commit returned. Latency is begin-to-commit-answer as the caller
// sees it (commit is answered once the decision is logged; confirms follow).
//
// Per transaction the coordinator logs 8 commands (begin, 2 registers, 2 tried, decide,
// 2 confirmed, the last also finishing) and exchanges 9 requests (begin, 2 tries each relayed to a participant
// and reported oneway, commit, 2 confirms each reported oneway).
//
//   npm run build && node dist/native-bench/tcc.bench.js [--rounds 3] [--seconds 5]
//                                                       [--concurrency 32,64,256] [--flush sync]
//
// Prints one line per trial and the medians; writes results/tcc-<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { TccCoordinatorClient, TccParticipant, TccTransaction } from '../client/index.js';
import { LatencyHistogram } from '../bench/latency-histogram.js';
import { environmentNow } from '../bench/run-environment.js';
import { saveResultsFile } from '../bench/results-file.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';

const GOAL_PER_SECOND = 5000;
const WARMUP_TRANSACTIONS = 500;
/** Initiators sharing one coordinator connection. */
const INITIATORS_PER_CONNECTION = 32;
const DRAIN_POLL_MS = 5;
const DRAIN_TIMEOUT_MS = 60_000;
const PAYLOAD = { account: 'bench', delta: 1 };

interface Trial {
  readonly concurrency: number;
  readonly round: number;
  readonly transactions: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : (process.argv[at + 1] ?? fallback);
}

/** Two participants whose handlers only count; `confirms` is the total confirms served. */
async function startParticipants(address: string): Promise<{ confirms(): number; close(): void }> {
  let confirms = 0;
  const handlers = {
    try: () => undefined,
    confirm: () => {
      confirms++;
    },
    cancel: () => undefined,
  };
  const participants = ['bench-a', 'bench-b'].map(
    (resource) => new TccParticipant({ coordinatorAddress: address, resources: { [resource]: handlers } }),
  );
  await Promise.all(participants.map((p) => p.start()));
  return { confirms: () => confirms, close: () => participants.forEach((p) => p.close()) };
}

async function oneTransaction(client: TccCoordinatorClient): Promise<void> {
  const transaction = await TccTransaction.begin(client);
  await transaction.try('bench-a', PAYLOAD);
  await transaction.try('bench-b', PAYLOAD);
  await transaction.commit();
}

async function runTrial(
  clients: readonly TccCoordinatorClient[],
  confirms: () => number,
  concurrency: number,
  seconds: number,
): Promise<Omit<Trial, 'round'>> {
  const confirmsBefore = confirms();
  const histogram = new LatencyHistogram();
  let transactions = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (index: number): Promise<void> => {
    const client = clients[Math.floor(index / INITIATORS_PER_CONNECTION) % clients.length]!;
    while (performance.now() < deadline) {
      const at = performance.now();
      await oneTransaction(client);
      histogram.record((performance.now() - at) * 1000);
      transactions++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS;
  while (confirms() < confirmsBefore + 2 * transactions) {
    if (performance.now() > drainDeadline) throw new Error('confirms never all arrived');
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
  const elapsedMs = performance.now() - started;
  const summary = histogram.summary();
  return {
    concurrency,
    transactions,
    perSecond: (transactions / elapsedMs) * 1000,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const rounds = Number(flag('rounds', '3'));
  const seconds = Number(flag('seconds', '5'));
  const levels = flag('concurrency', '32,64,256').split(',').map(Number);
  const flush = flag('flush', 'async') === 'sync' ? 'sync' : 'async';
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-tcc-bench-'));
  const broker = await startBenchBroker(directory, flush);
  const participants = await startParticipants(broker.broker);
  const connections = Math.ceil(Math.max(...levels) / INITIATORS_PER_CONNECTION);
  const clients = Array.from(
    { length: connections },
    () => new TccCoordinatorClient({ coordinatorAddress: broker.broker }),
  );
  const trials: Trial[] = [];
  try {
    for (let i = 0; i < WARMUP_TRANSACTIONS; i++) await oneTransaction(clients[0]!);
    for (let round = 1; round <= rounds; round++)
      for (const concurrency of levels) {
        const trial = { ...(await runTrial(clients, participants.confirms, concurrency, seconds)), round };
        trials.push(trial);
        console.log(
          `round ${round} concurrency ${concurrency}: ${trial.perSecond.toFixed(0)} tx/s ` +
            `(${trial.transactions} in ${seconds} s + drain), p50 ${trial.p50Ms.toFixed(2)} ms, p99 ${trial.p99Ms.toFixed(2)} ms`,
        );
      }
  } finally {
    for (const client of clients) client.close();
    participants.close();
    await broker.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  }
  const medians = levels.map((concurrency) => {
    const of = trials.filter((t) => t.concurrency === concurrency);
    return {
      concurrency,
      perSecond: median(of.map((t) => t.perSecond)),
      p99Ms: median(of.map((t) => t.p99Ms)),
    };
  });
  for (const m of medians)
    console.log(
      `median concurrency ${m.concurrency}: ${m.perSecond.toFixed(0)} tx/s (goal >= ${GOAL_PER_SECOND}), p99 ${m.p99Ms.toFixed(2)} ms`,
    );
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'tcc' },
    { environment: environmentNow(), flush, seconds, goalPerSecond: GOAL_PER_SECOND, trials, medians },
  );
  console.log(`results: ${file}`);
}

await main();
