// The name server's HTTP endpoint (README "HTTP endpoint"): /healthz, /readyz (200 once
// listening: it holds no state that must recover) and /metrics (process metrics, rpc latency,
// brokers and topics known, connections). Open like its remoting port: the name server checks
// no ACL (as in RocketMQ 4.x); keep it on a private network or behind TLS.
import type tls from 'node:tls';

import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';

import type { ConnectionStats } from '../server/connection-limits.js';
import { HttpEndpoint, json } from '../server/http/http-endpoint.js';
import { RpcLatency } from '../server/http/rpc-latency.js';
import type { RouteInfoManager } from './route-info-manager.js';

export class NameServerMetrics {
  readonly registry = new Registry();
  readonly rpcLatency: RpcLatency;

  constructor(routes: RouteInfoManager, connections: () => ConnectionStats) {
    this.registry.setDefaultLabels({ node_type: 'nameserver' });
    collectDefaultMetrics({ register: this.registry });
    this.rpcLatency = new RpcLatency(this.registry);
    const registry = this.registry;
    new Gauge({
      name: 'tributary_namesrv_brokers',
      help: 'Brokers registered',
      registers: [registry],
      collect() {
        this.set(Object.keys(routes.clusterInfo().brokerAddrTable).length);
      },
    });
    new Gauge({
      name: 'rocketmq_topic_number',
      help: 'Topics routed',
      registers: [registry],
      collect() {
        this.set(routes.topicNames().length);
      },
    });
    new Gauge({
      name: 'tributary_connections_open',
      help: 'Open connections',
      registers: [registry],
      collect() {
        this.set(connections().open);
      },
    });
  }
}

export function startNameServerHttp(options: {
  host: string;
  port: number;
  tls: tls.TlsOptions | undefined;
  metrics: NameServerMetrics;
  logger: Logger;
}): Promise<HttpEndpoint> {
  const started = Date.now();
  const { metrics } = options;
  return HttpEndpoint.start({
    host: options.host,
    port: options.port,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    logger: options.logger,
    routes: {
      '/healthz': () => json(200, { status: 'alive', uptimeMs: Date.now() - started }),
      '/readyz': () => json(200, { ready: true, reasons: [] }),
      '/metrics': async () => ({
        status: 200,
        contentType: metrics.registry.contentType,
        body: await metrics.registry.metrics(),
      }),
    },
  });
}
