// The last hour of message rates, in and out: a ring of RATE_HISTORY_SAMPLES samples taken
// every RATE_SAMPLE_INTERVAL_MS from the traffic counters (which only ever grow), each turned
// into a per-second rate over its interval; the interval in progress is shown live as a last
// sample. Sampling reads the counters; the send path pays nothing for it.
import type { TrafficCounters } from '../metrics/traffic-counters.js';
import { RATE_HISTORY_SAMPLES, RATE_SAMPLE_INTERVAL_MS } from './console-constants.js';

type Totals = ReturnType<TrafficCounters['totals']>;

export interface RateSample {
  /** End of the sample's interval (ms since the epoch). */
  readonly at: number;
  readonly messagesInPerSecond: number;
  readonly messagesOutPerSecond: number;
  readonly bytesInPerSecond: number;
  readonly bytesOutPerSecond: number;
}

interface Mark {
  readonly at: number;
  readonly totals: Totals;
}

const MS_PER_SECOND = 1000;

function rateBetween(from: Mark, to: Mark): RateSample {
  const seconds = Math.max(to.at - from.at, 1) / MS_PER_SECOND;
  return {
    at: to.at,
    messagesInPerSecond: (to.totals.messagesIn - from.totals.messagesIn) / seconds,
    messagesOutPerSecond: (to.totals.messagesOut - from.totals.messagesOut) / seconds,
    bytesInPerSecond: (to.totals.bytesIn - from.totals.bytesIn) / seconds,
    bytesOutPerSecond: (to.totals.bytesOut - from.totals.bytesOut) / seconds,
  };
}

export class RateHistory {
  /** The counters at each sample time, oldest overwritten first; one more than the samples. */
  private readonly marks: (Mark | undefined)[] = new Array<Mark | undefined>(RATE_HISTORY_SAMPLES + 1);
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly traffic: TrafficCounters) {
    this.mark(Date.now());
  }

  start(intervalMs = RATE_SAMPLE_INTERVAL_MS): void {
    this.timer = setInterval(() => this.mark(Date.now()), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Records the counters now; the rates between marks are the samples. */
  mark(now: number): void {
    this.marks[this.next] = { at: now, totals: this.traffic.totals() };
    this.next = (this.next + 1) % this.marks.length;
  }

  private ordered(now: number): Mark[] {
    const marks = [...this.marks.slice(this.next), ...this.marks.slice(0, this.next)];
    const held = marks.filter((mark): mark is Mark => mark !== undefined);
    // The interval in progress, live (when any time has passed since the last mark).
    if (now > held.at(-1)!.at) held.push({ at: now, totals: this.traffic.totals() });
    return held;
  }

  /** The rates held, oldest first (the last hour's and the interval in progress). */
  samples(now = Date.now()): RateSample[] {
    const marks = this.ordered(now);
    return marks.slice(1).map((mark, index) => rateBetween(marks[index]!, mark));
  }

  /** The average rate over about the last `windowMs` (from the oldest mark inside it). */
  recent(windowMs: number, now = Date.now()): RateSample {
    const marks = this.ordered(now);
    const from = marks.find((mark) => mark.at >= now - windowMs) ?? marks[0]!;
    return rateBetween(from === marks.at(-1) ? marks[0]! : from, marks.at(-1)!);
  }
}
