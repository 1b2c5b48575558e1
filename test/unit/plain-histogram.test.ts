// The plain-number histogram behind rocketmq_rpc_latency and rocketmq_finish_message_latency:
// a value equal to a bound falls in that bound's bucket (Prometheus's `le`), samples are
// cumulative with +Inf last, and folding adds histograms bucket by bucket.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { PlainHistogram, histogramSamples } from '../../server/http/plain-histogram.js';

test('a value on a bound counts in that bucket (le), cumulative samples end with +Inf, sum and count', () => {
  const histogram = new PlainHistogram([5, 60]);
  for (const value of [0.5, 5, 6, 60, 61]) histogram.observe(value);
  const samples = histogramSamples('x', { topic: 't' }, histogram);
  assert.deepEqual(
    samples.map((sample) => [sample.metricName, sample.labels.le, sample.value]),
    [
      ['x_bucket', '5', 2],
      ['x_bucket', '60', 4],
      ['x_bucket', '+Inf', 5],
      ['x_sum', undefined, 132.5],
      ['x_count', undefined, 5],
    ],
  );
  assert.equal(samples[0]!.labels.topic, 't');
});

test('adding a histogram sums it bucket by bucket, as names folded into one label are', () => {
  const a = new PlainHistogram([10]);
  const b = new PlainHistogram([10]);
  a.observe(1);
  b.observe(1);
  b.observe(100);
  a.add(b);
  assert.deepEqual([...a.counts], [2, 1]);
  assert.equal(a.sum, 102);
});

test.run();
