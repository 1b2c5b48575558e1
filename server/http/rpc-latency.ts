// rocketmq_rpc_latency: how long the server took to answer each request, by request code and
// response code (RocketMQ 5's histogram, in ms with its buckets). The remoting server reports
// every answered request here. An observation is a map lookup, a search of nine bounds and
// three additions to plain numbers (prom-client's own Histogram validates and hashes the labels
// on every observe); the registry turns the counts into Prometheus samples when scraped.
import type { Registry } from 'prom-client';

import { PlainHistogram, customHistogram, histogramSamples } from './plain-histogram.js';

/** RocketMQ 5's rpc latency buckets, ms. */
export const RPC_LATENCY_BUCKETS_MS: readonly number[] = [1, 3, 5, 10, 50, 100, 500, 1000, 3000];
/** Response codes are below this, so a request and response code pair fits one number. */
const RESPONSE_CODE_SPAN = 100_000;
const NAME = 'rocketmq_rpc_latency';
const HELP = 'Time to answer a request, ms, by request code and response code';

interface CodePair {
  readonly requestCode: number;
  readonly responseCode: number;
  readonly latency: PlainHistogram;
}

export class RpcLatency {
  private readonly pairs = new Map<number, CodePair>();

  constructor(registry: Registry) {
    customHistogram(registry, NAME, HELP, () =>
      [...this.pairs.values()].flatMap((pair) =>
        histogramSamples(
          NAME,
          {
            request_code: String(pair.requestCode),
            response_code: String(pair.responseCode),
            protocol_type: 'remoting',
          },
          pair.latency,
        ),
      ),
    );
  }

  observe(requestCode: number, responseCode: number, elapsedMs: number): void {
    const key = requestCode * RESPONSE_CODE_SPAN + responseCode;
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      pair = { requestCode, responseCode, latency: new PlainHistogram(RPC_LATENCY_BUCKETS_MS) };
      this.pairs.set(key, pair);
    }
    // PlainHistogram.observe inlined, with the bounds a module constant: this runs per request.
    let bucket = 0;
    while (bucket < RPC_LATENCY_BUCKETS_MS.length && elapsedMs > RPC_LATENCY_BUCKETS_MS[bucket]!) bucket++;
    pair.latency.counts[bucket]!++;
    pair.latency.sum += elapsedMs;
  }
}
