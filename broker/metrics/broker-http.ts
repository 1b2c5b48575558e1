// The broker's HTTP endpoint (README "HTTP endpoint"): /healthz (open: orchestrators probe
// liveness without credentials), /readyz and /metrics. With ACL on, /readyz and /metrics take
// any account's HTTP Basic credentials and any other page an admin account's; the web console
// (broker/console/) is served under /console, its read-only pages by GET to any account.
import type tls from 'node:tls';

import type { Logger } from 'pino';

import { HttpEndpoint, json, type HttpReply } from '../../server/http/http-endpoint.js';
import type { AccessControl } from '../access/access-control.js';
import { CONSOLE_READ_ONLY_PATHS, consoleRoutes, isConsoleAction } from '../console/broker-console.js';
import type { ConsoleSources } from '../console/console-sources.js';
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
  /** The console's view of the broker; undefined while it starts. */
  readonly console: () => ConsoleSources | undefined;
}

function readOnly(path: string, method: string): boolean {
  return READ_ONLY_PATHS.has(path) || ((method === 'GET' || method === 'HEAD') && CONSOLE_READ_ONLY_PATHS.has(path));
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
    acceptsPost: isConsoleAction,
    ...(access === undefined
      ? {}
      : {
          authorize: (path, authorization, remoteAddress, method) =>
            access.authorizeHttp(authorization, remoteAddress, readOnly(path, method)),
        }),
    routes: {
      ...consoleRoutes(options.console, options.tls === undefined ? 'http' : 'https'),
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
