// The name server: brokers register their topics with it every 30 s; clients ask it for
// topic routes. Several name servers run independently (AP): brokers register with all, and
// clients fail over between them. A broker is dropped after 120 s of silence or as soon as
// the connection it registered over closes.
//
// The name server checks no access control list, as in RocketMQ 4.x (ACL is the broker's): it
// holds routes, no messages, and ignores the AccessKey and Signature that signed clients send.
// To keep strangers from registering brokers, serve it with TLS and requestClientCert (only
// holders of a client certificate may connect) or keep its port on a private network.
import { ExtFieldReader, HeaderFieldError } from '../protocol/ext-field-reader.js';
import { bodyOf, responseTo, type RemotingCommand } from '../protocol/remoting-command.js';
import { REQUEST_CODE } from '../protocol/request-code.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';
import {
  BROKER_EXPIRY_MS_DEFAULT,
  BROKER_EXPIRY_SCAN_INTERVAL_MS_DEFAULT,
  NAME_SERVER_PORT_DEFAULT,
} from './name-server-constants.js';
import type { ConnectionLimits, ConnectionStats } from '../server/connection-limits.js';
import { serverTlsOptions, type BrokerTlsOptions } from '../server/broker-tls-options.js';
import { RemotingServer, type Channel } from '../server/remoting-server.js';
import { RouteInfoManager, type BrokerRegistration } from './route-info-manager.js';
import type { HttpPortOption } from '../server/http/http-port.js';
import { errorReporter, processLogger, type Logger } from '../server/http/process-logger.js';
import { rateLimitedErrorLog } from '../server/rate-limited-error-log.js';
import { NameServerMetrics, startNameServerHttp } from './name-server-http.js';

/** Options of startNameServer; every one is optional. */
export interface NameServerOptions {
  host?: string;
  /** Default 9876; 0 picks a free port. */
  port?: number;
  brokerExpiryMs?: number;
  expiryScanIntervalMs?: number;
  /** Connections, idle timeout, frame size, in-flight requests, slow readers (README "Limits"). */
  connectionLimits?: ConnectionLimits;
  /** TLS on its port, off by default (the same options as the broker's). */
  tls?: BrokerTlsOptions;
  /**
   * The HTTP endpoint (/healthz, /readyz, /metrics): a port (0 picks a free one) or 'off'.
   * Off by default in the library; `tributary namesrv` defaults to NAME_SERVER_HTTP_PORT_DEFAULT.
   */
  httpPort?: HttpPortOption;
  /** JSON-lines logger (pino); default: a pino logger on stderr at `logLevel` (default info). */
  logger?: Logger;
  logLevel?: string;
  /** Where failures serving a request go (default: the logger, at error level). */
  onError?: (error: unknown, context: string) => void;
}

/**
 * A name server running in this process: the routing registry brokers register with and clients ask
 * for routes.
 */
export interface NameServer {
  readonly port: number;
  readonly routes: RouteInfoManager;
  /** The HTTP endpoint's port; undefined when `httpPort` is 'off'. */
  readonly httpPort: number | undefined;
  /** Open connections and what the connection limits did so far. */
  connectionStats(): ConnectionStats;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a name server on `port` (default 9876; 0 picks a free one) and `host` (default 0.0.0.0).
 * Brokers that stop registering are dropped after `brokerExpiryMs` (default 120 s).
 * @throws Error when the port is taken or the TLS files cannot be read.
 */
export async function startNameServer(options: NameServerOptions = {}): Promise<NameServer> {
  const routes = new RouteInfoManager();
  const host = options.host ?? '0.0.0.0';
  const logger = options.logger ?? processLogger('tributary-namesrv', options.logLevel, 'stderr');
  const onError = rateLimitedErrorLog(options.onError ?? errorReporter(logger));
  const tls = options.tls === undefined ? undefined : serverTlsOptions(options.tls);
  let metrics: NameServerMetrics | undefined;
  const server = new RemotingServer({
    ...options.connectionLimits,
    host,
    port: options.port ?? NAME_SERVER_PORT_DEFAULT,
    ...(tls === undefined ? {} : { tls }),
    onProcessorError: (error, request) => onError(error, `processing request code ${request.code}`),
    onConnectionError: (error, remote) => onError(error, `closed the connection from ${remote}`),
    onAnswered: (requestCode, responseCode, elapsedMs) =>
      metrics?.rpcLatency.observe(requestCode, responseCode, elapsedMs),
  });
  metrics = new NameServerMetrics(routes, () => server.stats);
  registerProcessors(server, routes);
  server.onChannelClosed((channel) => routes.connectionClosed(channel.id));
  const port = await server.listen();
  const httpPort = options.httpPort ?? 'off';
  const http =
    httpPort === 'off'
      ? undefined
      : await startNameServerHttp({ host, port: httpPort, tls, metrics, logger }).catch(async (error: unknown) => {
          await server.close();
          throw error;
        });
  logger.debug({ port, httpPort: http?.port ?? 'off' }, 'name server started');
  const expiryMs = options.brokerExpiryMs ?? BROKER_EXPIRY_MS_DEFAULT;
  const scanIntervalMs = options.expiryScanIntervalMs ?? BROKER_EXPIRY_SCAN_INTERVAL_MS_DEFAULT;
  const scan = setInterval(() => routes.expire(expiryMs), scanIntervalMs);
  scan.unref();
  return {
    port,
    routes,
    httpPort: http?.port,
    connectionStats: () => server.stats,
    close: async () => {
      clearInterval(scan);
      await http?.close();
      await server.close();
    },
  };
}

type Handler = (request: RemotingCommand, channel: Channel) => RemotingCommand;

/** Answers a malformed request with SYSTEM_ERROR instead of failing the connection. */
function guarded(handler: Handler): Handler {
  return (request, channel) => {
    try {
      return handler(request, channel);
    } catch (error) {
      if (error instanceof HeaderFieldError || error instanceof SyntaxError || error instanceof RegistrationError) {
        return responseTo(request, RESPONSE_CODE.SYSTEM_ERROR, error.message);
      }
      throw error;
    }
  };
}

function registerProcessors(server: RemotingServer, routes: RouteInfoManager): void {
  const brokerAddress = (request: RemotingCommand): string =>
    new ExtFieldReader(request.extFields).string('brokerAddr');
  const handlers: [number, Handler][] = [
    [
      REQUEST_CODE.REGISTER_BROKER,
      (request, channel) => {
        const registration = parseRegistration(request);
        if (!routes.register(registration, channel.id))
          return responseTo(
            request,
            RESPONSE_CODE.SYSTEM_ERROR,
            `STALE_MASTER_EPOCH: ${registration.brokerName} has a master of a newer epoch than ${registration.masterEpoch ?? 0}`,
          );
        return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { haServerAddr: '', masterAddr: '' });
      },
    ],
    [
      REQUEST_CODE.UNREGISTER_BROKER,
      (request) => {
        routes.unregister(brokerAddress(request));
        return responseTo(request, RESPONSE_CODE.SUCCESS);
      },
    ],
    [
      REQUEST_CODE.QUERY_DATA_VERSION,
      (request) => {
        const address = brokerAddress(request);
        const version = JSON.parse(bodyOf(request).toString('utf8')) as { timestamp: number; counter: number };
        const changed = routes.changed(address, version);
        if (!changed) routes.touch(address);
        return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, { changed });
      },
    ],
    [
      REQUEST_CODE.BROKER_HEARTBEAT,
      (request) => {
        routes.touch(brokerAddress(request));
        return responseTo(request, RESPONSE_CODE.SUCCESS);
      },
    ],
    [REQUEST_CODE.GET_ROUTEINFO_BY_TOPIC, (request) => routeResponse(request, routes)],
    [REQUEST_CODE.GET_BROKER_CLUSTER_INFO, (request) => json(request, routes.clusterInfo())],
    [
      REQUEST_CODE.DELETE_TOPIC_IN_NAMESRV,
      (request) => {
        routes.deleteTopic(new ExtFieldReader(request.extFields).string('topic'));
        return responseTo(request, RESPONSE_CODE.SUCCESS);
      },
    ],
    [REQUEST_CODE.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (request) => json(request, { topicList: routes.topicNames() })],
  ];
  for (const [code, handler] of handlers) server.register(code, guarded(handler));
}

function routeResponse(request: RemotingCommand, routes: RouteInfoManager): RemotingCommand {
  const topic = new ExtFieldReader(request.extFields).string('topic');
  const route = routes.route(topic);
  if (route === undefined) {
    return responseTo(
      request,
      RESPONSE_CODE.TOPIC_NOT_EXIST,
      `No topic route info in name server for the topic: ${topic}`,
    );
  }
  return json(request, route);
}

class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
}

function json(request: RemotingCommand, value: unknown): RemotingCommand {
  return responseTo(request, RESPONSE_CODE.SUCCESS, undefined, undefined, Buffer.from(JSON.stringify(value)));
}

/** REGISTER_BROKER: header names the broker, the body carries its topic table. */
function parseRegistration(request: RemotingCommand): BrokerRegistration {
  const fields = new ExtFieldReader(request.extFields);
  const body = JSON.parse(bodyOf(request).toString('utf8')) as {
    topicConfigSerializeWrapper?: {
      topicConfigTable?: Record<string, unknown>;
      dataVersion?: { timestamp: number; counter: number };
    };
  };
  const wrapper = body.topicConfigSerializeWrapper;
  if (wrapper === undefined || typeof wrapper !== 'object')
    throw new RegistrationError('missing topicConfigSerializeWrapper');
  const topics = Object.values(wrapper.topicConfigTable ?? {}).map((value) => {
    const topic = value as Record<string, unknown>;
    const count = (name: string): number => {
      const n = topic[name];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new RegistrationError(`bad ${name}`);
      return n;
    };
    if (typeof topic.topicName !== 'string') throw new RegistrationError('topicName missing');
    return {
      topicName: topic.topicName,
      readQueueNums: count('readQueueNums'),
      writeQueueNums: count('writeQueueNums'),
      perm: count('perm'),
      topicSysFlag: typeof topic.topicSysFlag === 'number' ? topic.topicSysFlag : 0,
    };
  });
  return {
    clusterName: fields.string('clusterName'),
    brokerName: fields.string('brokerName'),
    brokerAddress: fields.string('brokerAddr'),
    brokerId: fields.optionalInteger('brokerId') ?? 0,
    topics,
    dataVersion: wrapper.dataVersion ?? { timestamp: 0, counter: 0 },
    masterEpoch: fields.optionalInteger('masterEpoch'),
  };
}
