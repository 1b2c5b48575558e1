// Order numbers, the seed's decimal variant of snowflake: 27 decimal digits that sort by time
// and carry the shard they are stored in, so an order is found from its number alone.
//
//   | digits | field           | meaning                                                  |
//   |--------|-----------------|----------------------------------------------------------|
//   |     13 | timestamp       | ms since ORDER_NUMBER_EPOCH_MS (2020-01-01), zero-padded  |
//   |      4 | sequence        | 0000-9999 within the ms, per machine                     |
//   |      2 | order type      | 00-99, the caller's kind of order                        |
//   |      4 | machine         | the leased worker id, 0000-9999                          |
//   |      2 | database suffix | 00-99: which database holds the order (e.g. user id % N) |
//   |      2 | table suffix    | 00-99: which table in it                                 |
//
// Unique because (timestamp, sequence, machine) is: the machine is a leased worker id and the
// sequence clock never answers a (ms, sequence) twice. Strings, since 27 digits exceed any
// integer type a database or JavaScript offers natively.
import { ClientError } from '../client-error.js';
import { SequenceClock, type SequenceClockOptions } from './sequence-clock.js';
import type { WorkerIdSource } from './snowflake-id-generator.js';

export const ORDER_NUMBER_EPOCH_MS = Date.UTC(2020, 0, 1);
export const ORDER_NUMBER_DIGITS = 27;
/** Machines an order number can name (4 digits). */
export const ORDER_NUMBER_MACHINES_MAX = 10_000;
const SEQUENCES_PER_MS = 10_000;
const TWO_DIGITS_MAX = 99;

/** The caller's part of an order number: each 0..99, else ClientError INVALID_ARGUMENT. */
export interface OrderNumberFields {
  readonly orderType: number;
  readonly databaseSuffix: number;
  readonly tableSuffix: number;
}

/**
 * 27-digit decimal order numbers that sort by time and carry the shard their order is stored in
 * (layout at the top of order-number-generator.ts). Unique while its machine id lease holds.
 * INVALID_ARGUMENT when the machine id does not fit 4 digits.
 */
export class OrderNumberGenerator {
  private readonly clock: SequenceClock;
  private readonly machine: string;
  private prefix = '';

  constructor(
    private readonly worker: WorkerIdSource,
    clock: Omit<SequenceClockOptions, 'sequencesPerMs'> = {},
  ) {
    if (!Number.isInteger(worker.workerId) || worker.workerId < 0 || worker.workerId >= ORDER_NUMBER_MACHINES_MAX)
      throw new ClientError('INVALID_ARGUMENT', `machine ${worker.workerId} does not fit 4 digits`);
    this.clock = new SequenceClock({ ...clock, sequencesPerMs: SEQUENCES_PER_MS });
    this.machine = String(worker.workerId).padStart(4, '0');
  }

  /**
   * The next order number, as a string (27 digits exceed any native integer). INVALID_ARGUMENT
   * for a field outside 0..99; ID_LEASE_LOST or CLOCK_MOVED_BACKWARDS when it cannot give one safely.
   */
  next(fields: OrderNumberFields): string {
    const { orderType, databaseSuffix, tableSuffix } = fields;
    for (const [name, value] of Object.entries({ orderType, databaseSuffix, tableSuffix })) {
      if (!Number.isInteger(value) || value < 0 || value > TWO_DIGITS_MAX)
        throw new ClientError('INVALID_ARGUMENT', `${name} must be 0..${TWO_DIGITS_MAX}`);
    }
    if (this.clock.tick()) {
      this.worker.check(this.clock.lastMs);
      this.prefix = String(this.clock.lastMs - ORDER_NUMBER_EPOCH_MS).padStart(13, '0');
    }
    return (
      this.prefix +
      String(this.clock.sequence).padStart(4, '0') +
      two(orderType) +
      this.machine +
      two(databaseSuffix) +
      two(tableSuffix)
    );
  }
}

function two(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}
