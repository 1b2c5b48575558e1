// rocketmq_rpc_latency: how long the server took to answer each request, by request code and
// response code (RocketMQ 5's histogram, in ms with its buckets). The remoting server reports
// every answered request here; a child per code pair is cached, so an observation costs a map
// lookup and a bucket search.
import { Histogram, type Registry } from 'prom-client';

/** RocketMQ 5's rpc latency buckets, ms. */
export const RPC_LATENCY_BUCKETS_MS: readonly number[] = [1, 3, 5, 10, 50, 100, 500, 1000, 3000];
/** Response codes are below this, so a request and response code pair fits one number. */
const RESPONSE_CODE_SPAN = 100_000;

type Child = ReturnType<Histogram<'request_code' | 'response_code' | 'protocol_type'>['labels']>;

export class RpcLatency {
  private readonly histogram: Histogram<'request_code' | 'response_code' | 'protocol_type'>;
  private readonly children = new Map<number, Child>();

  constructor(
    registry: Registry,
    private readonly labels: Record<string, string> = {},
  ) {
    this.histogram = new Histogram({
      name: 'rocketmq_rpc_latency',
      help: 'Time to answer a request, ms, by request code and response code',
      labelNames: ['request_code', 'response_code', 'protocol_type', ...Object.keys(labels)] as [
        'request_code',
        'response_code',
        'protocol_type',
      ],
      buckets: [...RPC_LATENCY_BUCKETS_MS],
      registers: [registry],
    });
  }

  observe(requestCode: number, responseCode: number, elapsedMs: number): void {
    const key = requestCode * RESPONSE_CODE_SPAN + responseCode;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.histogram.labels({
        ...this.labels,
        request_code: String(requestCode),
        response_code: String(responseCode),
        protocol_type: 'remoting',
      });
      this.children.set(key, child);
    }
    child.observe(elapsedMs);
  }
}
