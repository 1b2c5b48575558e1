// What producers and consumers share underneath: the remoting connections, topic routes
// fetched from the name servers (with fail-over between them) and refreshed every 30 s, and
// heartbeats to every known broker every 30 s. Requests the broker sends to the client
// (membership changes, transaction checks) are routed to the owner's handlers.
import { SILENT_CLIENT_LOGGER } from './client-logger.js';
import type { ConnectionOptions } from 'node:tls';

import { newClientId, parseNameServers, type ClientOptions } from './client-options.js';
import {
  HEARTBEAT_INTERVAL_MS_DEFAULT,
  ROUTE_REFRESH_INTERVAL_MS_DEFAULT,
  REQUEST_TIMEOUT_MS_DEFAULT,
} from './client-constants.js';
import { ClientError } from './client-error.js';
import { clientTlsConnectionOptions } from './remoting/client-tls-options.js';
import { RemotingClient, type RequestSpec } from './remoting/remoting-client.js';
import { masterAddress, parseRoute, readAddress, type TopicRoute, routeFromDefaultTopic } from './topic-route.js';
import { SERIALIZE_TYPE, responseTo, type RemotingCommand } from '../protocol/remoting-command.js';
import { RemotingError } from '../protocol/remoting-error.js';
import { REQUEST_CODE } from '../protocol/request-code.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';
import { AUTO_CREATE_TOPIC_KEY_TOPIC, AUTO_CREATE_TOPIC_QUEUE_COUNT } from '../protocol/header-fields.js';

export interface ClientHandlers {
  /** HeartbeatData (RocketMQ's JSON shape) describing this client's groups. */
  heartbeat(clientId: string): object;
  onConsumerIdsChanged?(group: string): void;
  /** A periodic heartbeat that failed (a refusal carries the broker's response code). */
  heartbeatFailed?(error: ClientError): void;
  onRequest?(
    request: RemotingCommand,
    brokerAddress: string,
  ): RemotingCommand | undefined | Promise<RemotingCommand | undefined>;
}

export class ClientInstance {
  readonly clientId = newClientId();
  readonly remoting: RemotingClient;
  readonly requestTimeoutMs: number;
  private readonly nameServers: string[];
  private nameServerIndex = 0;
  private readonly routes = new Map<string, TopicRoute>();
  private readonly fetching = new Map<string, Promise<TopicRoute>>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Brokers heartbeated though no cached route names them (see addHeartbeatTargets). */
  private readonly heartbeatTargets = new Set<string>();
  private closed = false;

  constructor(
    private readonly options: ClientOptions,
    private readonly handlers: ClientHandlers,
  ) {
    this.nameServers = parseNameServers(options.nameServer);
    if (this.nameServers.length === 0) throw new ClientError('INVALID_ARGUMENT', 'nameServer lists no address');
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    const { credentials } = options;
    if (credentials !== undefined && !(isNonEmpty(credentials.accessKey) && isNonEmpty(credentials.secretKey)))
      throw new ClientError('INVALID_ARGUMENT', 'credentials need a non-empty accessKey and secretKey');
    this.remoting = new RemotingClient({
      serializeType: options.jsonHeaders === true ? SERIALIZE_TYPE.json : SERIALIZE_TYPE.msgpack,
      credentials: options.credentials,
      tls: tlsConnectionOptions(options.tls),
      onRequest: (request, address) => this.onServerRequest(request, address),
    });
  }

  start(): void {
    const log = this.options.logger ?? SILENT_CLIENT_LOGGER;
    // A failed round is retried at the next tick; the logger, if given, hears of it.
    const every = (ms: number, what: string, task: () => Promise<unknown>): void => {
      this.timers.push(
        setInterval(() => void task().catch((error: unknown) => log.warn({ err: error }, what)), ms).unref(),
      );
    };
    every(this.options.routeRefreshIntervalMs ?? ROUTE_REFRESH_INTERVAL_MS_DEFAULT, 'route refresh failed', () =>
      this.refreshRoutes(),
    );
    every(this.options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS_DEFAULT, 'heartbeat failed', async () => {
      for (const failure of await this.heartbeatAll()) this.handlers.heartbeatFailed?.(failure);
    });
  }

  /**
   * The topic's route, from the cache or the name servers; NO_ROUTE when none has it.
   * Concurrent callers share one fetch per topic.
   */
  route(topic: string, refresh = false): Promise<TopicRoute> {
    const cached = this.routes.get(topic);
    if (cached !== undefined && !refresh) return Promise.resolve(cached);
    let fetching = this.fetching.get(topic);
    if (fetching === undefined) {
      fetching = this.fetchRoute(topic)
        .then((fetched) => {
          if (fetched !== undefined) this.routes.set(topic, fetched);
          const route = fetched ?? this.routes.get(topic);
          if (route === undefined) throw new ClientError('NO_ROUTE', topic);
          return route;
        })
        .finally(() => this.fetching.delete(topic));
      this.fetching.set(topic, fetching);
    }
    return fetching;
  }

  /**
   * The route to send to `topic` on: its own, or when no name server has one, the route of the
   * auto-create default topic (TBW102), which brokers run with --auto-create-topics register.
   * The derived route is cached under the topic until a refresh brings the topic's own.
   * Without such brokers the topic's NO_ROUTE stands.
   */
  async sendRoute(topic: string, refresh = false): Promise<TopicRoute> {
    try {
      return await this.route(topic, refresh);
    } catch (error) {
      if (!(error instanceof ClientError && error.code === 'NO_ROUTE')) throw error;
      const fallback = await this.route(AUTO_CREATE_TOPIC_KEY_TOPIC, refresh).catch(() => undefined);
      if (fallback === undefined) throw error;
      if (!this.routes.has(topic))
        this.routes.set(topic, routeFromDefaultTopic(fallback, AUTO_CREATE_TOPIC_QUEUE_COUNT));
      return this.routes.get(topic)!;
    }
  }

  /** The topic's cached route, if any; no fetch. */
  cachedRoute(topic: string): TopicRoute | undefined {
    return this.routes.get(topic);
  }

  private async fetchRoute(topic: string): Promise<TopicRoute | undefined> {
    try {
      return parseRoute(await this.askNameServers(REQUEST_CODE.GET_ROUTEINFO_BY_TOPIC, { topic }));
    } catch (error) {
      if (error instanceof ClientError && error.responseCode === RESPONSE_CODE.TOPIC_NOT_EXIST) return undefined;
      throw error;
    }
  }

  /**
   * Asks the name servers in turn, starting with the last one that answered, and returns the
   * first successful response body. Name servers are independent (a broker may have reached
   * one and not yet another), so a refusal moves on to the next too; it is thrown only when
   * no name server succeeds.
   */
  async askNameServers(code: number, extFields: Record<string, string>): Promise<Buffer> {
    let refusal: ClientError | undefined;
    let lastError: unknown;
    const start = this.nameServerIndex;
    for (let tried = 0; tried < this.nameServers.length; tried++) {
      const index = (start + tried) % this.nameServers.length;
      const address = this.nameServers[index]!;
      try {
        const response = await this.remoting.invoke(address, { code, extFields }, this.requestTimeoutMs);
        if (response.code === RESPONSE_CODE.SUCCESS) {
          this.nameServerIndex = index;
          return (response.body as Buffer | undefined) ?? Buffer.alloc(0);
        }
        refusal = ClientError.fromResponse(response.code, response.remark, `name server ${address}`);
      } catch (error) {
        lastError = error;
      }
    }
    throw refusal ?? new ClientError('NO_NAME_SERVER', this.nameServers.join(';'), { cause: lastError });
  }

  private async refreshRoutes(): Promise<void> {
    const log = this.options.logger ?? SILENT_CLIENT_LOGGER;
    for (const topic of [...this.routes.keys()]) {
      // The cached route stays in use; the next refresh tries again.
      await this.route(topic, true).catch((error: unknown) => log.debug({ err: error, topic }, 'route refresh failed'));
    }
  }

  /** The master address of a broker named in any cached route. */
  brokerAddress(brokerName: string): string | undefined {
    for (const route of this.routes.values()) {
      const address = masterAddress(route, brokerName);
      if (address !== undefined) return address;
    }
    return undefined;
  }

  /**
   * Where to read a broker set's queues and committed offsets: `preferredId` (a master's
   * suggestion) or the master, else a replica when the master is gone from the route.
   */
  brokerReadAddress(brokerName: string, preferredId = 0): string | undefined {
    for (const route of this.routes.values()) {
      const address = readAddress(route, brokerName, preferredId);
      if (address !== undefined) return address;
    }
    return undefined;
  }

  /** Every broker master the name servers know (GET_BROKER_CLUSTER_INFO), routed or not. */
  async clusterBrokerAddresses(): Promise<string[]> {
    const body = await this.askNameServers(REQUEST_CODE.GET_BROKER_CLUSTER_INFO, {});
    const info = JSON.parse(body.toString('utf8')) as {
      brokerAddrTable?: Record<string, { brokerAddrs: Record<string, string> }>;
    };
    return Object.values(info.brokerAddrTable ?? {}).flatMap((broker) =>
      broker.brokerAddrs['0'] === undefined ? [] : [broker.brokerAddrs['0']],
    );
  }

  /**
   * Heartbeats (and the unregistration at close) also go to these brokers, not only to those
   * of cached routes: a transaction producer must be known to every broker that may check a
   * transaction back, including before it has sent anything there.
   */
  addHeartbeatTargets(addresses: Iterable<string>): void {
    for (const address of addresses) this.heartbeatTargets.add(address);
  }

  /** Addresses of every broker (masters and replicas) in the cached routes, and the heartbeat targets. */
  brokerAddresses(): string[] {
    const addresses = new Set<string>(this.heartbeatTargets);
    for (const route of this.routes.values()) {
      for (const broker of route.brokerDatas) {
        // Replicas too: a consumer reading there must be a known member of its group.
        for (const address of Object.values(broker.brokerAddrs)) addresses.add(address);
      }
    }
    return [...addresses];
  }

  /** Sends a request; transport failures become ClientErrors. */
  async invoke(address: string, request: RequestSpec, timeoutMs = this.requestTimeoutMs): Promise<RemotingCommand> {
    if (this.closed) throw new ClientError('SHUT_DOWN');
    try {
      return await this.remoting.invoke(address, request, timeoutMs);
    } catch (error) {
      if (error instanceof RemotingError && error.code === 'TIMEOUT') {
        this.remoting.disconnect(address);
        throw new ClientError('TIMEOUT', `${address}`, { cause: error });
      }
      throw new ClientError('BROKER_UNAVAILABLE', address, { cause: error });
    }
  }

  /**
   * Sends a heartbeat to every known broker; resolves when all answered or failed, with a
   * ClientError per broker that failed: BROKER_ERROR (with the response code) for a refusal.
   */
  async heartbeatAll(): Promise<ClientError[]> {
    const body = Buffer.from(JSON.stringify(this.handlers.heartbeat(this.clientId)));
    const failures: ClientError[] = [];
    await Promise.all(
      this.brokerAddresses().map(async (address) => {
        try {
          const response = await this.invoke(address, { code: REQUEST_CODE.HEART_BEAT, body });
          if (response.code !== RESPONSE_CODE.SUCCESS)
            failures.push(ClientError.fromResponse(response.code, response.remark, `heartbeat to ${address}`));
        } catch (error) {
          if (error instanceof ClientError && error.code === 'SHUT_DOWN') return;
          failures.push(error instanceof ClientError ? error : new ClientError('BROKER_UNAVAILABLE', address));
        }
      }),
    );
    return failures;
  }

  async close(unregister?: { producerGroup?: string; consumerGroup?: string }): Promise<void> {
    if (this.closed) return;
    for (const timer of this.timers) clearInterval(timer);
    if (unregister !== undefined) {
      const extFields = { clientID: this.clientId, ...unregister };
      await Promise.allSettled(
        this.brokerAddresses().map((address) =>
          this.invoke(address, { code: REQUEST_CODE.UNREGISTER_CLIENT, extFields }),
        ),
      );
    }
    this.closed = true;
    this.remoting.close();
  }

  private onServerRequest(
    request: RemotingCommand,
    address: string,
  ): RemotingCommand | undefined | Promise<RemotingCommand | undefined> {
    if (request.code === REQUEST_CODE.NOTIFY_CONSUMER_IDS_CHANGED) {
      const group = request.extFields?.consumerGroup;
      if (group !== undefined) this.handlers.onConsumerIdsChanged?.(String(group));
      return undefined;
    }
    if (this.handlers.onRequest !== undefined) return this.handlers.onRequest(request, address);
    return responseTo(request, RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED, `request code ${request.code} not supported`);
  }
}

function isNonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The TLS options of every connection, or undefined for plain TCP; unreadable files are an INVALID_ARGUMENT. */
function tlsConnectionOptions(option: ClientOptions['tls']): ConnectionOptions | undefined {
  if (option === undefined || option === false) return undefined;
  try {
    return clientTlsConnectionOptions(option);
  } catch (error) {
    throw new ClientError('INVALID_ARGUMENT', `tls: ${(error as Error).message}`, { cause: error });
  }
}
