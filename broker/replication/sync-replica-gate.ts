// SYNC_MASTER's promise: a send is acknowledged only once `required` in-sync replicas hold it
// (with sync flush: have flushed it). Fewer in-sync replicas than required: SLAVE_NOT_AVAILABLE
// at once; enough, but they do not get there in time: FLUSH_SLAVE_TIMEOUT (RocketMQ's codes).
import { ReplicaAckError } from './replica-ack-error.js';
import type { ReplicationServer } from './replication-server.js';

interface Waiter {
  readonly end: number;
  readonly resolve: () => void;
  readonly timer: NodeJS.Timeout;
}

export class SyncReplicaGate {
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly server: ReplicationServer,
    private readonly required: number,
    private readonly timeoutMs: number,
    private readonly flushed: boolean,
  ) {
    server.onReport(() => this.settle());
  }

  /** Resolves once enough in-sync replicas hold the log up to `end`. */
  waitFor(end: number): Promise<void> {
    const inSync = this.server.inSync(Date.now());
    if (inSync.length < this.required) {
      const detail = `${inSync.length} in-sync replica(s), ${this.required} required`;
      return Promise.reject(new ReplicaAckError('SLAVE_NOT_AVAILABLE', detail));
    }
    if (this.covered() >= end) return Promise.resolve();
    this.server.wake();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(
          new ReplicaAckError(
            'FLUSH_SLAVE_TIMEOUT',
            `no ${this.required} replica(s) held ${end} within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      const waiter: Waiter = { end, resolve, timer };
      this.waiters.push(waiter);
    });
  }

  /** How far the `required`-th most advanced in-sync replica holds the log. */
  private covered(): number {
    const held = this.server
      .inSync(Date.now())
      .map((replica) => (this.flushed ? replica.flushedOffset : replica.ackedOffset))
      .sort((a, b) => b - a);
    return held[this.required - 1] ?? -1;
  }

  private settle(): void {
    if (this.waiters.length === 0) return;
    const covered = this.covered();
    // Appends are sequential, so waiters come in end order: settle the covered prefix.
    let settled = 0;
    while (settled < this.waiters.length && this.waiters[settled]!.end <= covered) {
      const waiter = this.waiters[settled]!;
      clearTimeout(waiter.timer);
      waiter.resolve();
      settled++;
    }
    if (settled > 0) this.waiters.splice(0, settled);
  }
}
