// How far behind its master a replica runs, per record: the time from the master's append (the
// record's store timestamp, in ms) to the moment the replica has dispatched it (queues and index
// written, pulls woken). Both clocks are the same on one machine; across machines the figure
// also carries their skew. The stamp is whole milliseconds, so each value is the true lag plus
// up to 1 ms.
import { REPLICA_LAG_MS_MAX } from '../broker-constants.js';

export interface ReplicaLagSummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
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
    return { count: this.total, p50Ms: this.percentile(0.5), p99Ms: this.percentile(0.99), maxMs: this.max };
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
