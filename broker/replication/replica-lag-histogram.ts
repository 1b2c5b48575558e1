// How far behind its master a replica runs, per record: the time from the master's append (the
// record's store timestamp, in ms) to the moment the replica has dispatched it (queues and index
// written, pulls woken). Both clocks are the same on one machine; across machines the figure
// also carries their skew. Both times are whole milliseconds (the stamp and Date.now()), so a
// value is the true lag to within 1 ms either way, counted in the bucket of its ceiling.
import { REPLICA_LAG_MS_MAX } from '../broker-constants.js';

export interface ReplicaLagSummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Every non-empty bucket as [lag ms, records], by lag: a reader may subtract two summaries for a window. */
  readonly byMs: readonly (readonly [number, number])[];
}

/** One counter per millisecond up to REPLICA_LAG_MS_MAX (longer lags are counted there). */
export class ReplicaLagHistogram {
  private readonly counts = new Float64Array(REPLICA_LAG_MS_MAX + 1);
  private total = 0;
  private max = 0;

  record(lagMs: number): void {
    const bucket = lagMs <= 0 ? 0 : lagMs >= REPLICA_LAG_MS_MAX ? REPLICA_LAG_MS_MAX : Math.ceil(lagMs);
    this.counts[bucket]!++;
    this.total++;
    if (bucket > this.max) this.max = bucket;
  }

  summary(): ReplicaLagSummary {
    const byMs: [number, number][] = [];
    for (let bucket = 0; bucket <= this.max; bucket++)
      if (this.counts[bucket]! > 0) byMs.push([bucket, this.counts[bucket]!]);
    return { count: this.total, p50Ms: this.percentile(0.5), p99Ms: this.percentile(0.99), maxMs: this.max, byMs };
  }

  private percentile(fraction: number): number {
    const rank = Math.ceil(this.total * fraction);
    let seen = 0;
    for (let bucket = 0; bucket <= this.max; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank && seen > 0) return bucket;
    }
    return 0;
  }
}
