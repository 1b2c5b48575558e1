// Distributed locks side by side in one run: Tributary's lock service, Redis (SET NX PX + Lua
// release) and etcd's lock API (HTTP gateway), each its own server process on loopback (see
// peers/lock-backends.ts for what each does). Two figures per service:
//   - contended: `clients` sessions (one connection each) loop acquire + release on ONE lock
//     for `seconds`; acquire+release pairs per second;
//   - uncontended: one session acquires and releases its own lock for `seconds`; acquire
//     latency p50 / p99 (the release is not timed).
// A peer whose server binary is missing is skipped with a message.
//
//   npm run build && node dist/native-bench/locks.bench.js [--seconds 3] [--clients 8] [--skip-etcd]
//                                                          [--flush sync]
// (--flush sync: the broker msyncs each grant and release before answering, as etcd fsyncs.)
//
// Prints one line per figure and the ratios; writes results/locks-<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { LatencyHistogram, type LatencySummary } from '../bench/latency-histogram.js';
import { saveResultsFile } from '../bench/results-file.js';
import { environmentNow } from '../bench/run-environment.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';
import { etcdLockBackend, redisLockBackend, tributaryLockBackend, type LockBackend } from './peers/lock-backends.js';

const SECONDS_DEFAULT = 3;
const CLIENTS_DEFAULT = 8;
const WARMUP_MS = 500;
const MS_PER_S = 1000;
const US_PER_MS = 1000;

interface LockFigures {
  readonly label: string;
  readonly durability: string;
  readonly contendedPairsPerSecond: number;
  readonly uncontended: LatencySummary;
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

async function contended(backend: LockBackend, clients: number, seconds: number): Promise<number> {
  const sessions = await Promise.all(Array.from({ length: clients }, (_, i) => backend.session(i)));
  const started = performance.now();
  const deadline = started + seconds * MS_PER_S;
  let pairs = 0;
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() < deadline) {
        await session.acquire('bench-contended');
        await session.release();
        pairs++;
      }
    }),
  );
  const elapsedS = (performance.now() - started) / MS_PER_S;
  await Promise.all(sessions.map((session) => session.close()));
  return pairs / elapsedS;
}

async function uncontended(backend: LockBackend, seconds: number): Promise<LatencySummary> {
  const session = await backend.session(CLIENTS_DEFAULT + 1);
  const histogram = new LatencyHistogram();
  const run = async (ms: number, record: boolean): Promise<void> => {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline) {
      const start = performance.now();
      await session.acquire('bench-uncontended');
      if (record) histogram.record((performance.now() - start) * US_PER_MS);
      await session.release();
    }
  };
  await run(WARMUP_MS, false);
  await run(seconds * MS_PER_S, true);
  await session.close();
  return histogram.summary();
}

async function measure(backend: LockBackend, clients: number, seconds: number): Promise<LockFigures> {
  try {
    const latency = await uncontended(backend, seconds);
    const pairsPerSecond = await contended(backend, clients, seconds);
    const figures = {
      label: backend.label,
      durability: backend.durability,
      contendedPairsPerSecond: Math.round(pairsPerSecond),
      uncontended: latency,
    };
    console.log(
      `${backend.label.padEnd(16)} contended (${clients} clients): ${figures.contendedPairsPerSecond} pairs/s; ` +
        `uncontended acquire p50 ${latency.p50Ms.toFixed(3)} ms, p99 ${latency.p99Ms.toFixed(3)} ms`,
    );
    return figures;
  } finally {
    await backend.stop();
  }
}

async function peer(start: () => Promise<LockBackend>, name: string): Promise<LockBackend | undefined> {
  try {
    return await start();
  } catch (error) {
    console.log(`skipping ${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return undefined;
  }
}

function ratios(figures: readonly LockFigures[]): string[] {
  const [ours, ...peers] = figures;
  return peers.map(
    (other) =>
      `Tributary / ${other.label}: contended ${(ours!.contendedPairsPerSecond / other.contendedPairsPerSecond).toFixed(2)}x ` +
      `pairs/s; uncontended p50 ${(ours!.uncontended.p50Ms / other.uncontended.p50Ms).toFixed(2)}x, ` +
      `p99 ${(ours!.uncontended.p99Ms / other.uncontended.p99Ms).toFixed(2)}x latency`,
  );
}

async function main(): Promise<void> {
  const seconds = flag('seconds', SECONDS_DEFAULT);
  const clients = flag('clients', CLIENTS_DEFAULT);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-locks-bench-'));
  const figures: LockFigures[] = [];
  try {
    const flush = process.argv.includes('sync') ? 'sync' : 'async';
    const broker = await startBenchBroker(directory, flush);
    figures.push(await measure(tributaryLockBackend(broker.broker, broker.stop, flush), clients, seconds));
    const redis = await peer(redisLockBackend, 'Redis');
    if (redis !== undefined) figures.push(await measure(redis, clients, seconds));
    const etcd = process.argv.includes('--skip-etcd') ? undefined : await peer(etcdLockBackend, 'etcd');
    if (etcd !== undefined) figures.push(await measure(etcd, clients, seconds));
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
  const lines = ratios(figures);
  for (const line of lines) console.log(line);
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'locks' },
    {
      environment: environmentNow(),
      seconds,
      clients,
      flush: process.argv.includes('sync') ? 'sync' : 'async',
      figures,
      ratios: lines,
    },
  );
  console.log(`results: ${file}`);
}

await main();
