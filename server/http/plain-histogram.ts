// A histogram kept as plain numbers: observing is a search of the bounds and three additions
// (prom-client's own Histogram validates and hashes its labels on every observe). Whoever owns
// it turns it into Prometheus samples when scraped (histogramSamples), registered as a custom
// metric (customHistogram), so the path that observes never calls prom-client.
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

export class PlainHistogram {
  /** Observations per bucket, not cumulative; the last is past every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let bucket = 0;
    while (bucket < this.bounds.length && value > this.bounds[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sum += value;
  }

  /** Adds `other`'s observations (same bounds) to this one: label folding sums histograms. */
  add(other: PlainHistogram): void {
    other.counts.forEach((count, bucket) => (this.counts[bucket]! += count));
    this.sum += other.sum;
  }
}

type Sample = MetricValueWithName<string>;

/** The `_bucket` (cumulative, with `le`), `_sum` and `_count` samples of one labelled histogram. */
export function histogramSamples(name: string, labels: Record<string, string>, histogram: PlainHistogram): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  histogram.counts.forEach((count, bucket) => {
    cumulative += count;
    const le = bucket < histogram.bounds.length ? String(histogram.bounds[bucket]) : '+Inf';
    samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
  });
  samples.push({ metricName: `${name}_sum`, labels, value: histogram.sum });
  samples.push({ metricName: `${name}_count`, labels, value: cumulative });
  return samples;
}

/** Registers a histogram whose samples `read` builds when the registry is scraped. */
export function customHistogram(registry: Registry, name: string, help: string, read: () => Sample[]): void {
  const snapshot = (): MetricObjectWithValues<Sample> =>
    ({ name, help, type: 'histogram', aggregator: 'sum', values: read() }) as unknown as MetricObjectWithValues<Sample>;
  const metric = { name, help, type: 'histogram', aggregator: 'sum', get: () => Promise.resolve(snapshot()) };
  registry.registerMetric(metric as unknown as Metric);
}
