// Yielding to the event loop, and the driver of the event-loop trials. A loop of awaits on
// already-resolved promises runs entirely in microtasks: timers, I/O callbacks and the store's
// background work never get a turn. Drivers call yieldToEventLoop every so often to behave like
// a server that returns to the loop between socket reads.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import { EVENT_LOOP_RESOLUTION_MS, MS_PER_SECOND } from '../../bench/bench-constants.js';

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const NS_PER_MS = 1e6;
/** Turn gaps longer than this are listed one by one. */
const TURN_GAP_LISTED_MS = 5;

export interface EventLoopDrive {
  readonly metrics: {
    /** Raw monitorEventLoopDelay figures (the 1 ms period included). */
    readonly eventLoopMaxMs: number;
    readonly eventLoopP99Ms: number;
    readonly eventLoopP50Ms: number;
    readonly eventLoopMeanMs: number;
    /** The longest time between two turns of the driver. */
    readonly maxTurnGapMs: number;
    readonly msgsPerSec: number;
  };
  readonly appended: number;
  readonly seconds: number;
  /** Turn gaps over TURN_GAP_LISTED_MS, in ms to 0.1. */
  readonly longGapsMs: readonly number[];
}

/**
 * Appends a batch of `batchSize` and yields to the event loop, until `done()`: any stall the
 * engine causes (segment roll, msync, file creation) then shows as loop delay rather than being
 * hidden inside a long synchronous loop. Measured with monitorEventLoopDelay and, independently,
 * as the longest gap between two consecutive turns of the driver.
 */
export async function driveEventLoop(
  appendBatch: () => Promise<unknown> | void,
  batchSize: number,
  done: () => boolean,
): Promise<EventLoopDrive> {
  const histogram = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
  histogram.enable();
  const started = performance.now();
  let last = started;
  let maxGap = 0;
  let appended = 0;
  const longGapsMs: number[] = [];
  while (!done()) {
    await appendBatch();
    appended += batchSize;
    await yieldToEventLoop();
    const now = performance.now();
    const gap = now - last;
    if (gap > maxGap) maxGap = gap;
    if (gap > TURN_GAP_LISTED_MS) longGapsMs.push(Math.round(gap * 10) / 10);
    last = now;
  }
  const seconds = (performance.now() - started) / MS_PER_SECOND;
  histogram.disable();
  return {
    metrics: {
      eventLoopMaxMs: histogram.max / NS_PER_MS,
      eventLoopP99Ms: histogram.percentile(99) / NS_PER_MS,
      eventLoopP50Ms: histogram.percentile(50) / NS_PER_MS,
      eventLoopMeanMs: histogram.mean / NS_PER_MS,
      maxTurnGapMs: maxGap,
      msgsPerSec: appended / seconds,
    },
    appended,
    seconds,
    longGapsMs,
  };
}
