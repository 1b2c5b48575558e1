// Snowflake mode ids (layout in snowflake-layout.ts): timestamp, worker id, sequence. The worker
// id is leased from the broker (worker-id-lease.ts), so no two live generators share one; the
// clock and sequence (sequence-clock.ts) never answer a millisecond-sequence pair twice, so one
// generator never repeats an id, also when the clock steps back.
import { ClientError } from '../client-error.js';
import { SequenceClock, type SequenceClockOptions } from './sequence-clock.js';
import { snowflakeLayout, type SnowflakeLayout } from './snowflake-layout.js';

/** A snowflake generator's bit layout (default SNOWFLAKE_LAYOUT_DEFAULT) and clock options. */
export interface SnowflakeOptions {
  readonly layout?: Partial<SnowflakeLayout>;
  /** Clock waits and injected clocks (tests). */
  readonly clock?: Omit<SequenceClockOptions, 'sequencesPerMs'>;
}

/** What the generator asks of its worker id: the id, and whether it may still use it at `nowMs`. */
export interface WorkerIdSource {
  readonly workerId: number;
  /** Throws (ClientError ID_LEASE_LOST) when the worker id may no longer be used at `nowMs`. */
  check(nowMs: number): void;
}

/**
 * 63-bit snowflake ids as BigInts (timestamp, worker id, sequence). The worker id is leased, so
 * no two live generators share one; one generator never repeats an id, also when the clock
 * steps back. INVALID_ARGUMENT when the worker id does not fit the layout.
 */
export class SnowflakeIdGenerator {
  readonly layout: SnowflakeLayout;
  private readonly clock: SequenceClock;
  private readonly timestampShift: bigint;
  private readonly workerPart: bigint;
  private readonly timestampLimitMs: number;
  private high = 0n;

  constructor(
    private readonly worker: WorkerIdSource,
    options: SnowflakeOptions = {},
  ) {
    this.layout = snowflakeLayout(options.layout);
    const { workerBits, sequenceBits, timestampBits } = this.layout;
    if (!Number.isInteger(worker.workerId) || worker.workerId < 0 || worker.workerId >= 2 ** workerBits)
      throw new ClientError('INVALID_ARGUMENT', `worker id ${worker.workerId} does not fit ${workerBits} bits`);
    this.clock = new SequenceClock({ ...options.clock, sequencesPerMs: 2 ** sequenceBits });
    this.timestampShift = BigInt(workerBits + sequenceBits);
    this.workerPart = BigInt(worker.workerId) << BigInt(sequenceBits);
    this.timestampLimitMs = this.layout.epochMs + 2 ** timestampBits;
  }

  get workerId(): number {
    return this.worker.workerId;
  }

  /** The next id; CLOCK_MOVED_BACKWARDS or ID_LEASE_LOST when it cannot give one safely. */
  next(): bigint {
    if (this.clock.tick()) this.newMillisecond(this.clock.lastMs);
    return this.high | BigInt(this.clock.sequence);
  }

  private newMillisecond(ms: number): void {
    this.worker.check(ms);
    if (ms < this.layout.epochMs || ms >= this.timestampLimitMs)
      throw new ClientError('INVALID_ARGUMENT', `the clock (${ms}) is outside the layout's epoch range`);
    this.high = (BigInt(ms - this.layout.epochMs) << this.timestampShift) | this.workerPart;
  }
}
