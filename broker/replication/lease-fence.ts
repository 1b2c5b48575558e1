// Fencing a master by its etcd lease: the lease outlives a keepalive by TTL from the moment the
// keepalive was sent, so the master takes that (minus LEASE_FENCE_MARGIN_MS) as its deadline and
// checks it before every write acknowledgement. Past it, a new master may already be elected.
import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';

import { LEASE_FENCE_MARGIN_MS } from '../broker-constants.js';
import { FencedError } from './fenced-error.js';

export class LeaseFence {
  private readonly fired: number[] = [];
  private deadline: number;
  private lost = false;

  /** `grantRequestedAt`: performance.now() before the lease was asked for. */
  constructor(
    private readonly ttlMs: number,
    grantRequestedAt: number,
  ) {
    this.deadline = grantRequestedAt + ttlMs - LEASE_FENCE_MARGIN_MS;
  }

  /** Follows an etcd3 Lease's keepalives (answers come in the order they were fired). */
  follow(lease: EventEmitter): void {
    lease.on('keepaliveFired', () => this.fired.push(performance.now()));
    lease.on('keepaliveSucceeded', () => {
      const sentAt = this.fired.shift();
      if (sentAt !== undefined) this.deadline = Math.max(this.deadline, sentAt + this.ttlMs - LEASE_FENCE_MARGIN_MS);
    });
    // The keepalive stream is torn down: no answer will come for what was fired on it.
    lease.on('keepaliveFailed', () => (this.fired.length = 0));
    lease.on('lost', () => (this.lost = true));
  }

  /** Milliseconds left before writes are refused; <= 0 once fenced. */
  remainingMs(): number {
    return this.lost ? 0 : this.deadline - performance.now();
  }

  /** @throws FencedError once the lease may have expired. */
  check(): void {
    if (this.remainingMs() <= 0)
      throw new FencedError('this master may have lost its etcd lease; retry on the new master');
  }
}
