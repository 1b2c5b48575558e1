// A snowflake worker id leased from the broker. Renewed every third of the TTL; the holder's
// own deadline counts from when it sent the request that granted or renewed the lease (before
// the broker's clock started the lease), so the holder stops believing in the lease before the
// broker would hand the id to anyone else (which it does only a reuse margin after expiry).
// A refused renewal (ID_LEASE_LOST) or a deadline passed without renewal ends the lease for good:
// generators on it throw ID_LEASE_LOST, loudly, and never hand out another id on it.
import { randomUUID } from 'node:crypto';

import { ClientError } from '../client-error.js';
import type { IdService } from './id-service.js';

/** Lease length unless told. */
export const WORKER_LEASE_TTL_MS_DEFAULT = 30_000;
/** Renewals per lease length: a renewal may fail twice before the lease runs out. */
const RENEWALS_PER_TTL = 3;

export class WorkerIdLease {
  readonly holder = randomUUID();
  private workerIdValue = -1;
  /** Wall-clock ms after which this holder no longer uses the lease. */
  deadlineMs = 0;
  private lost: ClientError | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly service: IdService,
    readonly space: string,
    readonly workerCount: number,
    readonly ttlMs: number = WORKER_LEASE_TTL_MS_DEFAULT,
    private readonly onLost: (error: ClientError) => void = () => undefined,
  ) {}

  get workerId(): number {
    return this.workerIdValue;
  }

  async start(): Promise<void> {
    const sentAt = Date.now();
    const grant = await this.service.leaseWorker(this.space, this.holder, this.ttlMs, this.workerCount);
    this.workerIdValue = grant.workerId;
    this.deadlineMs = sentAt + this.ttlMs;
    this.timer = setInterval(() => void this.renew(), this.ttlMs / RENEWALS_PER_TTL);
    this.timer.unref();
  }

  /** Throws ID_LEASE_LOST when the lease ended (refused, or `nowMs` past the deadline). */
  check(nowMs: number): void {
    if (this.lost === undefined && nowMs >= this.deadlineMs)
      this.end(new ClientError('ID_LEASE_LOST', `worker ${this.workerIdValue} of ${this.space}: not renewed in time`));
    if (this.lost !== undefined) throw this.lost;
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    if (this.lost !== undefined || this.workerIdValue < 0) return;
    this.lost = new ClientError('ID_LEASE_LOST', 'released');
    await this.service.releaseWorker(this.space, this.holder, this.workerIdValue);
  }

  private async renew(): Promise<void> {
    if (this.lost !== undefined) return;
    const sentAt = Date.now();
    try {
      await this.service.leaseWorker(this.space, this.holder, this.ttlMs, this.workerCount, this.workerIdValue);
      if (this.lost === undefined) this.deadlineMs = sentAt + this.ttlMs;
    } catch (error) {
      // A transport failure leaves the deadline as it is (the next renewal may succeed); a refusal ends it.
      if (error instanceof ClientError && error.code === 'ID_LEASE_LOST') this.end(error);
    }
  }

  private end(error: ClientError): void {
    this.lost = error;
    clearInterval(this.timer);
    this.onLost(error);
  }
}
