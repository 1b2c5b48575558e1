// The producing side of a benchmark, through Tributary's own Producer. Two shapes:
//
// - windowed (no rate): `inFlight` senders, each awaiting its send before the next, spread over
//   the producers; a closed loop, like RocketMQ's tool with -w threads. `inFlight` 1 is one
//   awaited send at a time; 1,000 lets the producer coalesce concurrent sends to a queue into
//   batch requests.
// - paced (a rate): an open loop that wakes every millisecond and starts every send that is due
//   by then, without waiting for earlier ones (at most `inFlight` outstanding), so a slow send
//   delays no later one. How far behind its ideal time each send started is the pacing lag,
//   reported with the figures (timer granularity makes it up to about a millisecond).
//
// A send's latency is from the call to send() to its result.
import { performance } from 'node:perf_hooks';

import { Producer } from '../../client/index.js';
import { BENCH_PACER_TICK_MS, MICROSECONDS_PER_MS, MS_PER_SECOND } from './bench-constants.js';
import type { BenchMeter } from './bench-meter.js';
import type { BenchSchedule } from './bench-schedule.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

export interface SendLoad {
  readonly producers: readonly Producer[];
  readonly topic: string;
  /** The body of the next message; called just before its send. */
  readonly body: () => Buffer;
  readonly inFlight: number;
  readonly ratePerS: number | undefined;
  readonly meter: BenchMeter;
  readonly schedule: BenchSchedule;
  readonly onError: (error: unknown) => void;
}

export interface SendLoadOutcome {
  /** Paced runs: how late, against the ideal schedule, measured sends started. */
  readonly pacingLagMs: LatencySummary | undefined;
}

export async function runSendLoad(load: SendLoad): Promise<SendLoadOutcome> {
  if (load.ratePerS === undefined) {
    await Promise.all(
      Array.from({ length: load.inFlight }, (_, i) => sendLoop(load, load.producers[i % load.producers.length]!)),
    );
    return { pacingLagMs: undefined };
  }
  return { pacingLagMs: await pacedSends(load, load.ratePerS) };
}

/**
 * One closed-loop sender. The end of one send is the start of the next (the bookkeeping in
 * between is well under a microsecond), so each message costs one clock read, not two.
 */
async function sendLoop(load: SendLoad, producer: Producer): Promise<void> {
  const { meter, schedule, topic } = load;
  let started = performance.now();
  for (;;) {
    const verdict = schedule.next();
    if (verdict === 'stop') return;
    const measured = verdict === 'measured';
    const body = load.body();
    let ended: number;
    try {
      await producer.send({ topic, body });
      ended = performance.now();
      meter.success((ended - started) * MICROSECONDS_PER_MS, body.length, measured, ended);
    } catch (error) {
      ended = performance.now();
      meter.failure(measured, ended);
      load.onError(error);
    }
    started = ended;
  }
}

/** One open-loop send, started at `started`. */
async function sendOne(load: SendLoad, producer: Producer, measured: boolean, started: number): Promise<void> {
  const body = load.body();
  try {
    await producer.send({ topic: load.topic, body });
    const ended = performance.now();
    load.meter.success((ended - started) * MICROSECONDS_PER_MS, body.length, measured, ended);
  } catch (error) {
    load.meter.failure(measured, performance.now());
    load.onError(error);
  }
}

async function pacedSends(load: SendLoad, ratePerS: number): Promise<LatencySummary> {
  const lag = new LatencyHistogram();
  const startedAt = performance.now();
  const intervalMs = MS_PER_SECOND / ratePerS;
  let issued = 0;
  let outstanding = 0;
  let allDone: () => void = () => undefined;
  const finish = (): void => {
    outstanding--;
    if (outstanding === 0) allDone();
  };
  for (let stopped = false; !stopped;) {
    const now = performance.now();
    const due = Math.floor((now - startedAt) / intervalMs);
    while (issued < due && outstanding < load.inFlight) {
      const verdict = load.schedule.next();
      if (verdict === 'stop') {
        stopped = true;
        break;
      }
      if (verdict === 'measured') lag.record((now - (startedAt + issued * intervalMs)) * MICROSECONDS_PER_MS);
      issued++;
      outstanding++;
      const producer = load.producers[issued % load.producers.length]!;
      void sendOne(load, producer, verdict === 'measured', performance.now()).then(finish);
    }
    if (!stopped) await new Promise((resolve) => setTimeout(resolve, BENCH_PACER_TICK_MS));
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (allDone = resolve));
  return lag.summary();
}

/** `count` started producers of the bench group, each with its own connection. */
export async function startProducers(nameServer: string, count: number, group: string): Promise<Producer[]> {
  const producers = Array.from({ length: count }, () => new Producer({ nameServer, group }));
  await Promise.all(producers.map((producer) => producer.start()));
  return producers;
}
