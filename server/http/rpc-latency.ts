// rocketmq_rpc_latency: how long the server took to answer each request, by request code and
// response code (RocketMQ 5's histogram, in ms with its buckets). The remoting server reports
// every answered request here. An observation is a map lookup, a search of nine bounds and
// three additions to plain numbers (prom-client's own Histogram validates and hashes the labels
// on every observe); the registry turns the counts into Prometheus samples when scraped.
import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

/** RocketMQ 5's rpc latency buckets, ms. */
export const RPC_LATENCY_BUCKETS_MS: readonly number[] = [1, 3, 5, 10, 50, 100, 500, 1000, 3000];
/** Response codes are below this, so a request and response code pair fits one number. */
const RESPONSE_CODE_SPAN = 100_000;
const NAME = 'rocketmq_rpc_latency';
const HELP = 'Time to answer a request, ms, by request code and response code';

interface CodePair {
  readonly requestCode: number;
  readonly responseCode: number;
  /** Observations per bucket, not cumulative; the last is past every bound (+Inf). */
  readonly counts: Float64Array;
  sum: number;
}

type LabelName = 'request_code' | 'response_code' | 'protocol_type' | 'le';

export class RpcLatency {
  private readonly pairs = new Map<number, CodePair>();

  constructor(registry: Registry) {
    const metric = {
      name: NAME,
      help: HELP,
      type: 'histogram',
      aggregator: 'sum',
      get: () => Promise.resolve(this.snapshot()),
    };
    registry.registerMetric(metric as unknown as Metric);
  }

  observe(requestCode: number, responseCode: number, elapsedMs: number): void {
    const key = requestCode * RESPONSE_CODE_SPAN + responseCode;
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      pair = { requestCode, responseCode, counts: new Float64Array(RPC_LATENCY_BUCKETS_MS.length + 1), sum: 0 };
      this.pairs.set(key, pair);
    }
    let bucket = 0;
    while (bucket < RPC_LATENCY_BUCKETS_MS.length && elapsedMs > RPC_LATENCY_BUCKETS_MS[bucket]!) bucket++;
    pair.counts[bucket]!++;
    pair.sum += elapsedMs;
  }

  private snapshot(): MetricObjectWithValues<MetricValueWithName<LabelName>> {
    const values: MetricValueWithName<LabelName>[] = [];
    for (const pair of this.pairs.values()) {
      const labels = {
        request_code: String(pair.requestCode),
        response_code: String(pair.responseCode),
        protocol_type: 'remoting',
      };
      let cumulative = 0;
      pair.counts.forEach((count, bucket) => {
        cumulative += count;
        const le = bucket < RPC_LATENCY_BUCKETS_MS.length ? String(RPC_LATENCY_BUCKETS_MS[bucket]) : '+Inf';
        values.push({ metricName: `${NAME}_bucket`, labels: { ...labels, le }, value: cumulative });
      });
      values.push({ metricName: `${NAME}_sum`, labels, value: pair.sum });
      values.push({ metricName: `${NAME}_count`, labels, value: cumulative });
    }
    return {
      name: NAME,
      help: HELP,
      type: 'histogram',
      aggregator: 'sum',
      values,
    } as unknown as MetricObjectWithValues<MetricValueWithName<LabelName>>;
  }
}
