// Snowflake ids and order numbers against a clock that goes backwards (injected clocks): a
// small step back is waited out, a large one refused with CLOCK_MOVED_BACKWARDS, and no id is
// ever handed out twice. A full millisecond waits for the next. Ranges of a segment generator
// are used in order with the next fetched in the background.
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  ClientError,
  decomposeSnowflake,
  OrderNumberGenerator,
  SnowflakeIdGenerator,
  snowflakeLayout,
  type WorkerIdSource,
} from '../../client/index.js';

const WORKER: WorkerIdSource = { workerId: 5, check: () => undefined };
const START_MS = Date.UTC(2026, 0, 1);

/** A wall clock reading `readings` in turn (then the last forever), and a monotonic clock advancing 1 ms a read. */
function scriptedClocks(readings: number[]): { wallClock: () => number; monotonicClock: () => number } {
  let index = 0;
  let monotonic = 0;
  return {
    wallClock: () => readings[Math.min(index++, readings.length - 1)]!,
    monotonicClock: () => monotonic++,
  };
}

test('a clock stepping back within the wait bound is waited out and gives no duplicate id', () => {
  // 2 ids at START, then the clock reads 3 ms behind twice, then catches up past START.
  const clock = scriptedClocks([START_MS, START_MS, START_MS - 3, START_MS - 3, START_MS - 1, START_MS + 1]);
  const generator = new SnowflakeIdGenerator(WORKER, { clock: { ...clock, backwardsWaitMsMax: 5 } });
  const ids = [generator.next(), generator.next(), generator.next()];
  assert.equal(new Set(ids).size, 3);
  assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!, 'ids of one generator increase');
  assert.equal(decomposeSnowflake(ids[2]!).timestampMs, START_MS + 1);
  assert.equal(decomposeSnowflake(ids[2]!).workerId, 5);
});

test('a clock stepping back past the wait bound is refused loudly with CLOCK_MOVED_BACKWARDS', () => {
  const clock = scriptedClocks([START_MS, START_MS - 1000]);
  const generator = new SnowflakeIdGenerator(WORKER, { clock: { ...clock, backwardsWaitMsMax: 5 } });
  generator.next();
  const error = (() => {
    try {
      generator.next();
    } catch (thrown) {
      return thrown;
    }
  })();
  assert.instance(error, ClientError);
  assert.equal((error as ClientError).code, 'CLOCK_MOVED_BACKWARDS');
});

test('a clock stepping back to the last millisecond continues its sequence instead of repeating it', () => {
  const clock = scriptedClocks([START_MS, START_MS - 2, START_MS]);
  const generator = new SnowflakeIdGenerator(WORKER, { clock });
  const [a, b] = [generator.next(), generator.next()];
  assert.equal(decomposeSnowflake(a).sequence, 0);
  assert.equal(decomposeSnowflake(b).sequence, 1);
});

test('a full millisecond waits for the next one rather than wrapping its sequence', () => {
  const clock = scriptedClocks([START_MS, START_MS, START_MS, START_MS + 1]);
  const layout = { sequenceBits: 1 };
  const generator = new SnowflakeIdGenerator(WORKER, { clock, layout });
  const ids = [generator.next(), generator.next(), generator.next()];
  assert.equal(new Set(ids).size, 3);
  assert.equal(decomposeSnowflake(ids[2]!, snowflakeLayout(layout)).timestampMs, START_MS + 1);
});

test('a layout over 63 bits is refused', () => {
  assert.throws(() => snowflakeLayout({ timestampBits: 42, workerBits: 10, sequenceBits: 12 }), /at most 63 bits/);
});

test('order numbers are 27 digits: timestamp, sequence, type, machine, database and table suffixes', () => {
  const clock = scriptedClocks([Date.UTC(2020, 0, 1) + 1234, Date.UTC(2020, 0, 1) + 1234]);
  const generator = new OrderNumberGenerator(WORKER, clock);
  assert.equal(generator.next({ orderType: 7, databaseSuffix: 3, tableSuffix: 42 }), '000000000123400000700050342');
  assert.equal(generator.next({ orderType: 7, databaseSuffix: 3, tableSuffix: 42 }), '000000000123400010700050342');
});

test('a generator whose worker lease ended refuses with ID_LEASE_LOST', () => {
  const lost: WorkerIdSource = {
    workerId: 1,
    check: () => {
      throw new ClientError('ID_LEASE_LOST', 'test');
    },
  };
  assert.throws(
    () => new SnowflakeIdGenerator(lost).next(),
    (error: unknown) => (error as ClientError).code === 'ID_LEASE_LOST',
  );
});

test.run();
