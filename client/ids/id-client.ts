// Unique ids from the broker: named sequences handing out ranges (segment mode), snowflake ids
// and order numbers on leased worker ids. See README.md, "Unique ids".
//
//   const ids = new IdClient({ nameServer: '127.0.0.1:9876' });
//   await ids.createSequence('orders', { start: 1, step: 1 });
//   const orders = await ids.segment('orders');       orders.next()  // a number
//   const flakes = await ids.snowflake('orders');     flakes.next()  // a bigint
//   await ids.close();
import { ClientError } from '../client-error.js';
import { ClientInstance } from '../client-instance.js';
import type { ClientOptions } from '../client-options.js';
import { IdService, type IdRange, type SequenceInfo } from './id-service.js';
import { ORDER_NUMBER_MACHINES_MAX, OrderNumberGenerator } from './order-number-generator.js';
import { SegmentIdGenerator, type SegmentOptions } from './segment-id-generator.js';
import { SnowflakeIdGenerator, type SnowflakeOptions } from './snowflake-id-generator.js';
import { snowflakeLayout } from './snowflake-layout.js';
import { WorkerIdLease } from './worker-id-lease.js';

/** ClientOptions plus the broker that holds sequences and worker ids; every client of one sequence must reach the same one. */
export interface IdClientOptions extends ClientOptions {
  /** The broker holding sequences and worker ids ('host:port'); default: the first registered by address. */
  idBroker?: string;
}

/** How a snowflake or order number generator leases its worker id. */
export interface WorkerLeaseOptions {
  /** Lease length (default 30 s); renewed every third of it. */
  readonly leaseTtlMs?: number;
  /** Told when the lease ends (the generator then throws ID_LEASE_LOST). */
  readonly onLeaseLost?: (error: ClientError) => void;
}

/**
 * Unique ids from the broker: sequences handed out in ranges (segment mode), snowflake ids and
 * order numbers on leased worker ids. Refusals are ClientErrors with codes such as
 * ID_SEQUENCE_NOT_FOUND, ID_SEQUENCE_EXHAUSTED and ID_WORKERS_EXHAUSTED; NO_ROUTE when no broker
 * is registered and `idBroker` is not given.
 */
export class IdClient {
  private readonly client: ClientInstance;
  private readonly service: IdService;
  private readonly leases = new Set<WorkerIdLease>();

  constructor(options: IdClientOptions) {
    this.client = new ClientInstance(options, {
      heartbeat: () => ({ producerDataSet: [], consumerDataSet: [] }),
    });
    this.service = new IdService(this.client, options.idBroker);
  }

  /** Creates a sequence; again with the same step is a no-op. */
  async createSequence(sequence: string, options: { start?: number; step?: number } = {}): Promise<void> {
    await this.service.createSequence(sequence, options.start ?? 1, options.step ?? 1);
  }

  /** Takes `count` ids of a sequence directly (no buffering). */
  takeRange(sequence: string, count: number): Promise<IdRange> {
    return this.service.takeRange(sequence, count);
  }

  /** Every sequence of the id broker, with the next id it will hand out. */
  sequences(): Promise<SequenceInfo[]> {
    return this.service.sequences();
  }

  /** A started segment-mode generator of `sequence`. */
  async segment(sequence: string, options: SegmentOptions = {}): Promise<SegmentIdGenerator> {
    const generator = new SegmentIdGenerator(this.service, sequence, options);
    await generator.start();
    return generator;
  }

  /** A snowflake generator on a worker id of `space` leased for it. */
  async snowflake(space: string, options: SnowflakeOptions & WorkerLeaseOptions = {}): Promise<SnowflakeIdGenerator> {
    const layout = snowflakeLayout(options.layout);
    const lease = await this.lease(space, 2 ** layout.workerBits, options);
    return new SnowflakeIdGenerator(lease, options);
  }

  /** An order number generator (27 decimal digits, order-number-generator.ts) on a leased machine id. */
  async orderNumbers(space: string, options: WorkerLeaseOptions = {}): Promise<OrderNumberGenerator> {
    return new OrderNumberGenerator(await this.lease(space, ORDER_NUMBER_MACHINES_MAX, options));
  }

  /** Releases every worker id lease and closes the connection. */
  async close(): Promise<void> {
    const leases = [...this.leases];
    this.leases.clear();
    await Promise.allSettled(leases.map((lease) => lease.release()));
    await this.client.close();
  }

  private async lease(space: string, workerCount: number, options: WorkerLeaseOptions): Promise<WorkerIdLease> {
    const lease = new WorkerIdLease(this.service, space, workerCount, options.leaseTtlMs, options.onLeaseLost);
    await lease.start();
    this.leases.add(lease);
    return lease;
  }
}
