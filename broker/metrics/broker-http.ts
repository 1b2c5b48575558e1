// The broker's HTTP endpoint (README "HTTP endpoint"): /healthz (open: orchestrators probe
// liveness without credentials), /readyz and /metrics. With ACL on, /readyz and /metrics take
// any account's HTTP Basic credentials and any other page an admin account's.
import type tls from 'node:tls';

import type { Logger } from 'pino';

import { HttpEndpoint, json, type HttpReply } from '../../server/http/http-endpoint.js';
import type { AccessControl } from '../access/access-control.js';
import type { BrokerMetrics } from './broker-metrics.js';
import type { Readiness } from './broker-readiness.js';

/** Pages any valid account may read when ACL is on; the rest need an admin account. */
const READ_ONLY_PATHS: ReadonlySet<string> = new Set(['/metrics', '/readyz']);
const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz']);

export interface BrokerHttpOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: tls.TlsOptions | undefined;
  readonly access: AccessControl | undefined;
  readonly metrics: BrokerMetrics;
  readonly readiness: () => Readiness;
  readonly logger: Logger;
}

export function startBrokerHttp(options: BrokerHttpOptions): Promise<HttpEndpoint> {
  const started = Date.now();
  const { access, metrics } = options;
  return HttpEndpoint.start({
    host: options.host,
    port: options.port,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    logger: options.logger,
    openPaths: OPEN_PATHS,
    ...(access === undefined
      ? {}
      : {
          authorize: (path, authorization, remoteAddress) =>
            access.authorizeHttp(authorization, remoteAddress, READ_ONLY_PATHS.has(path)),
        }),
    routes: {
      '/healthz': () => json(200, { status: 'alive', uptimeMs: Date.now() - started }),
      '/readyz': () => {
        const readiness = options.readiness();
        return json(readiness.ready ? 200 : 503, { ready: readiness.ready, reasons: readiness.reasons });
      },
      '/metrics': async (): Promise<HttpReply> => ({
        status: 200,
        contentType: metrics.registry.contentType,
        body: await metrics.text(),
      }),
    },
  });
}
