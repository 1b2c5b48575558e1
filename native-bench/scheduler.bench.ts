// The job scheduler with 10,000 jobs defined: fires per second it sustains and how late each
// fire reaches its handler. Each trial runs its own broker (a child process, async flush) and
// one JobExecutor in this process with a no-op handler; it defines 10,000 fixed-rate jobs whose
// due times are spread evenly over the period, so they offer 10,000 / period fires per second.
// After a warm-up (one period), it counts handler calls and records, per call, now - dueMs
// (fire-time accuracy: timer delivery + fire read + dispatch + poll answer) over the window.
//
//   npm run build && node dist/native-bench/scheduler.bench.js [--jobs 10000] [--window-ms 15000] [--periods-ms 10000,5000,2000]
//
// Prints one line per trial; writes results/scheduler-<timestamp>.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { JobExecutor, JobSchedulerClient } from '../client/index.js';
import { LatencyHistogram } from '../bench/latency-histogram.js';
import { environmentNow } from '../bench/run-environment.js';
import { saveResultsFile } from '../bench/results-file.js';
import { startBenchBroker } from './lib/bench-broker-process.js';
import { RESULTS_DIRECTORY } from './lib/results-directory.js';

const JOBS_DEFAULT = 10_000;
const WINDOW_MS_DEFAULT = 15_000;
/** Job definitions in flight while creating them. */
const CREATE_WINDOW = 64;
/** The first due times fall this long after the jobs are created. */
const LEAD_MS = 2000;
/** Periods tried: 10,000 jobs every 10 s, 5 s, 2 s offer 1,000, 2,000 and 5,000 fires/s. */
const PERIODS_MS_DEFAULT = '10000,5000,2000';
const MICROSECONDS_PER_MS = 1000;

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

interface TrialResult {
  readonly periodMs: number;
  readonly offeredPerSecond: number;
  readonly firedPerSecond: number;
  readonly lateness: ReturnType<LatencyHistogram['summary']>;
  readonly createMs: number;
}

async function trial(jobCount: number, periodMs: number, windowMs: number): Promise<TrialResult> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-scheduler-'));
  const broker = await startBenchBroker(directory);
  const jobs = new JobSchedulerClient({ brokerAddress: broker.broker, requestTimeoutMs: 30_000 });
  const lateness = new LatencyHistogram();
  let measuring = false;
  let fired = 0;
  const executor = new JobExecutor({
    brokerAddress: broker.broker,
    handlers: {
      tick: async (run) => {
        if (!measuring) return;
        fired++;
        lateness.record((Date.now() - run.dueMs) * MICROSECONDS_PER_MS);
      },
    },
  });
  try {
    await executor.start();
    const createStart = Date.now();
    const startAtMs = createStart + LEAD_MS + jobCount / 2; // creation runs at a few thousand a second
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < jobCount; i = next++)
        await jobs.create({
          name: `job-${i}`,
          handler: 'tick',
          schedule: {
            kind: 'fixedRate',
            everyMs: periodMs,
            startAtMs: startAtMs + Math.floor((i * periodMs) / jobCount),
          },
          concurrency: 'discardLater',
        });
    };
    await Promise.all(Array.from({ length: CREATE_WINDOW }, worker));
    const createMs = Date.now() - createStart;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAtMs - Date.now()) + periodMs));
    measuring = true;
    const windowStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    measuring = false;
    const elapsed = Date.now() - windowStart;
    return {
      periodMs,
      offeredPerSecond: (jobCount * 1000) / periodMs,
      firedPerSecond: Math.round((fired * 1000) / elapsed),
      lateness: lateness.summary(),
      createMs,
    };
  } finally {
    await executor.close();
    jobs.close();
    await broker.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const jobCount = flag('jobs', JOBS_DEFAULT);
  const windowMs = flag('window-ms', WINDOW_MS_DEFAULT);
  const startedAt = new Date();
  const results: TrialResult[] = [];
  const at = process.argv.indexOf('--periods-ms');
  const periods = (at < 0 ? PERIODS_MS_DEFAULT : process.argv[at + 1]!).split(',').map(Number);
  for (const periodMs of periods) {
    const result = await trial(jobCount, periodMs, windowMs);
    results.push(result);
    const l = result.lateness;
    console.log(
      `${jobCount} jobs every ${periodMs} ms: offered ${result.offeredPerSecond}/s fired ${result.firedPerSecond}/s ` +
        `lateness p50 ${l.p50Ms.toFixed(1)} ms p99 ${l.p99Ms.toFixed(1)} ms max ${l.maxMs.toFixed(1)} ms ` +
        `(created in ${result.createMs} ms)`,
    );
  }
  const file = saveResultsFile(
    { directory: RESULTS_DIRECTORY, name: 'scheduler', startedAt },
    { environment: environmentNow(), jobCount, windowMs, results },
  );
  console.log(`results: ${file}`);
}

await main();
