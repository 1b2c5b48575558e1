// How a snowflake id's 63 bits are laid out (the sign bit stays 0, so the id fits a signed
// 64-bit column). Ids are BigInts: 64 bits exceed JavaScript numbers (2^53), and a BigInt keeps
// the order and the arithmetic; idToString gives the decimal form for JSON and databases.
//
//   | bits           | field     | default                                        |
//   |----------------|-----------|------------------------------------------------|
//   | timestampBits  | timestamp | 41: ms since `epochMs` (69 years)              |
//   | workerBits     | worker id | 10: 1,024 workers, leased from the broker      |
//   | sequenceBits   | sequence  | 12: 4,096 ids per ms per worker (4.096 M/s)    |
//
// timestampBits + workerBits + sequenceBits must be at most 63. Ids of one worker increase with
// time; ids of different workers order by millisecond first.
import { ClientError } from '../client-error.js';

/** The default epoch: 2020-01-01T00:00:00Z. */
export const SNOWFLAKE_EPOCH_MS_DEFAULT = Date.UTC(2020, 0, 1);
export const SNOWFLAKE_ID_BITS_MAX = 63;

/** How a snowflake id's 63 bits are split; the three widths must sum to at most 63. */
export interface SnowflakeLayout {
  readonly epochMs: number;
  readonly timestampBits: number;
  readonly workerBits: number;
  readonly sequenceBits: number;
}

/** 41 timestamp bits (69 years from 2020), 10 worker bits (1,024 workers), 12 sequence bits (4,096 ids per ms). */
export const SNOWFLAKE_LAYOUT_DEFAULT: SnowflakeLayout = {
  epochMs: SNOWFLAKE_EPOCH_MS_DEFAULT,
  timestampBits: 41,
  workerBits: 10,
  sequenceBits: 12,
};

/** The layout with `overrides`, checked. */
export function snowflakeLayout(overrides: Partial<SnowflakeLayout> = {}): SnowflakeLayout {
  const layout = { ...SNOWFLAKE_LAYOUT_DEFAULT, ...overrides };
  const { timestampBits, workerBits, sequenceBits } = layout;
  for (const [name, bits] of Object.entries({ timestampBits, workerBits, sequenceBits })) {
    if (!Number.isInteger(bits) || bits < 1) throw new ClientError('INVALID_ARGUMENT', `${name} must be >= 1`);
  }
  if (timestampBits + workerBits + sequenceBits > SNOWFLAKE_ID_BITS_MAX)
    throw new ClientError('INVALID_ARGUMENT', `the layout needs at most ${SNOWFLAKE_ID_BITS_MAX} bits`);
  if (workerBits > 16) throw new ClientError('INVALID_ARGUMENT', 'workerBits must be at most 16');
  return layout;
}

/** An id's fields (for logs and tests). */
export function decomposeSnowflake(
  id: bigint,
  layout: SnowflakeLayout = SNOWFLAKE_LAYOUT_DEFAULT,
): { timestampMs: number; workerId: number; sequence: number } {
  const sequence = Number(id & ((1n << BigInt(layout.sequenceBits)) - 1n));
  const workerId = Number((id >> BigInt(layout.sequenceBits)) & ((1n << BigInt(layout.workerBits)) - 1n));
  const timestampMs = Number(id >> BigInt(layout.sequenceBits + layout.workerBits)) + layout.epochMs;
  return { timestampMs, workerId, sequence };
}
