// A replica's lag histogram (broker/replication/replica-lag-histogram.ts): whole-millisecond
// buckets, a lag counted in the bucket of its ceiling, percentiles by rank, lags past
// REPLICA_LAG_MS_MAX counted there, and negative lags (clock steps) as 0.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { REPLICA_LAG_MS_MAX } from '../../broker/broker-constants.js';
import { ReplicaLagHistogram } from '../../broker/replication/replica-lag-histogram.js';

test('replica lag histogram: p50, p99 and max by rank over whole milliseconds, each non-empty bucket listed; empty is all zeros', () => {
  const empty = new ReplicaLagHistogram();
  assert.deepEqual(empty.summary(), { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, byMs: [] });
  const histogram = new ReplicaLagHistogram();
  for (let i = 0; i < 98; i++) histogram.record(1);
  histogram.record(7.2);
  histogram.record(40);
  assert.deepEqual(histogram.summary(), {
    count: 100,
    p50Ms: 1,
    p99Ms: 8,
    maxMs: 40,
    byMs: [
      [1, 98],
      [8, 1],
      [40, 1],
    ],
  });
});

test('replica lag histogram: a negative lag counts as 0 and one past the cap at the cap', () => {
  const histogram = new ReplicaLagHistogram();
  histogram.record(-3);
  histogram.record(REPLICA_LAG_MS_MAX * 10);
  assert.deepEqual(histogram.summary(), {
    count: 2,
    p50Ms: 0,
    p99Ms: REPLICA_LAG_MS_MAX,
    maxMs: REPLICA_LAG_MS_MAX,
    byMs: [
      [0, 1],
      [REPLICA_LAG_MS_MAX, 1],
    ],
  });
});

test.run();
