// The producing side of a benchmark, for any client that can send: Tributary's Producer in
// `tributary bench`, a message store's append in the storage benchmarks, a peer's send in the
// peers benchmark. Two shapes:
//
// - windowed (no rate): `inFlight` senders, each awaiting its send before the next, spread over
//   the senders; a closed loop, like RocketMQ's tool with -w threads. `inFlight` 1 is one
//   awaited send at a time; 1,000 lets a coalescing client batch concurrent sends (Tributary's
//   producer, ioredis auto-pipelining, nats.js's buffered writes).
// - paced (a rate): an open loop that wakes every millisecond and starts every send that is due
//   by then, without waiting for earlier ones (at most `inFlight` outstanding), so a slow send
//   delays no later one. How far behind its ideal time each send started is the pacing lag,
//   reported with the figures (timer granularity makes it up to about a millisecond).
//
// A send's latency is from the call to send() to its result. The schedule says when measuring
// starts and when the load stops; the meter counts.
import { performance } from 'node:perf_hooks';

import { BENCH_PACER_TICK_MS, MICROSECONDS_PER_MS, MS_PER_SECOND } from './bench-constants.js';
import type { BenchMeter } from './bench-meter.js';
import type { BenchSchedule } from './bench-schedule.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

/** Sends one message; resolves when it is acknowledged. */
export type Sender<Message> = (message: Message) => Promise<unknown>;

export interface SendLoad<Message = Buffer> {
  /** One per connection (or client); the loops are spread over them round-robin. */
  readonly senders: readonly Sender<Message>[];
  /** The next message; called just before its send. */
  readonly message: () => Message;
  /** The body bytes of a message, for the MB/s figures. */
  readonly bytesOf: (message: Message) => number;
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

/** A buffer's body bytes: the `bytesOf` of loads whose messages are bodies. */
export const bufferBytes = (body: Buffer): number => body.length;

export async function runSendLoad<Message>(load: SendLoad<Message>): Promise<SendLoadOutcome> {
  if (load.ratePerS === undefined) {
    await Promise.all(
      Array.from({ length: load.inFlight }, (_, i) => sendLoop(load, load.senders[i % load.senders.length]!)),
    );
    return { pacingLagMs: undefined };
  }
  return { pacingLagMs: await pacedSends(load, load.ratePerS) };
}

/**
 * One closed-loop sender. The end of one send is the start of the next (the bookkeeping in
 * between is well under a microsecond), so each message costs one clock read, not two.
 */
async function sendLoop<Message>(load: SendLoad<Message>, send: Sender<Message>): Promise<void> {
  const { meter, schedule } = load;
  let started = performance.now();
  for (;;) {
    const verdict = schedule.next();
    if (verdict === 'stop') return;
    const measured = verdict === 'measured';
    const message = load.message();
    let ended: number;
    try {
      await send(message);
      ended = performance.now();
      meter.success((ended - started) * MICROSECONDS_PER_MS, load.bytesOf(message), measured, ended);
    } catch (error) {
      ended = performance.now();
      meter.failure(measured, ended);
      load.onError(error);
    }
    started = ended;
  }
}

/** One open-loop send, started at `started`. */
async function sendOne<Message>(
  load: SendLoad<Message>,
  send: Sender<Message>,
  measured: boolean,
  started: number,
): Promise<void> {
  const message = load.message();
  try {
    await send(message);
    const ended = performance.now();
    load.meter.success((ended - started) * MICROSECONDS_PER_MS, load.bytesOf(message), measured, ended);
  } catch (error) {
    load.meter.failure(measured, performance.now());
    load.onError(error);
  }
}

async function pacedSends<Message>(load: SendLoad<Message>, ratePerS: number): Promise<LatencySummary> {
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
      const send = load.senders[issued % load.senders.length]!;
      void sendOne(load, send, verdict === 'measured', performance.now()).then(finish);
    }
    if (!stopped) await new Promise((resolve) => setTimeout(resolve, BENCH_PACER_TICK_MS));
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (allDone = resolve));
  return lag.summary();
}
