// The two producing shapes of `tributary bench` (cli/bench/send-load.ts), for a peer's send():
//
// - windowed: `inFlight` closed-loop senders, each awaiting its send before the next: with a
//   pipelining client (ioredis auto-pipelining, nats.js's buffered writes) the sends of one
//   event-loop turn leave in one write, like Tributary's coalescing producer.
// - paced: an open loop that wakes every millisecond and starts every send due by then
//   without waiting for earlier ones (at most `inFlight` outstanding).
//
// A send's latency is from the call to its acknowledgement.
import { performance } from 'node:perf_hooks';

import type { MeasuredWindow } from './measured-window.js';

export interface SendLoad {
  readonly send: (body: Buffer) => Promise<unknown>;
  /** The next body; called just before its send. */
  readonly body: () => Buffer;
  readonly inFlight: number;
  readonly window: MeasuredWindow;
  readonly onError: (error: unknown) => void;
}

const US_PER_MS = 1000;
const MS_PER_SECOND = 1000;
/** The pacer wakes this often, as Tributary's (BENCH_PACER_TICK_MS). */
const PACER_TICK_MS = 1;

export async function runWindowedSends(load: SendLoad): Promise<void> {
  await Promise.all(Array.from({ length: load.inFlight }, () => sendLoop(load)));
}

/** One closed-loop sender: the end of one send is the start of the next (one clock read). */
async function sendLoop(load: SendLoad): Promise<void> {
  const { window } = load;
  let started = performance.now();
  for (;;) {
    const phase = window.phase;
    if (phase === 'stop') return;
    const body = load.body();
    let ended: number;
    try {
      await load.send(body);
      ended = performance.now();
      window.success((ended - started) * US_PER_MS, body.length, phase === 'measured', ended);
    } catch (error) {
      ended = performance.now();
      window.failure(phase === 'measured', ended);
      load.onError(error);
    }
    started = ended;
  }
}

/**
 * Sends at `ratePerS` until the window stops. Acknowledgements are not timed here: e2e times
 * deliveries, on the consumer side, from the send time stamped in each body.
 */
export async function runPacedSends(load: SendLoad, ratePerS: number): Promise<void> {
  const startedAt = performance.now();
  const intervalMs = MS_PER_SECOND / ratePerS;
  let issued = 0;
  let outstanding = 0;
  let allDone: () => void = () => undefined;
  const finish = (): void => {
    outstanding--;
    if (outstanding === 0) allDone();
  };
  while (!load.window.stopped) {
    const due = Math.floor((performance.now() - startedAt) / intervalMs);
    while (issued < due && outstanding < load.inFlight && !load.window.stopped) {
      issued++;
      outstanding++;
      void load.send(load.body()).catch(load.onError).finally(finish);
    }
    await new Promise((resolve) => setTimeout(resolve, PACER_TICK_MS));
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (allDone = resolve));
}
