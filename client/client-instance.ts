// A producer's, consumer's or admin's view of its client instance (SharedClientInstance): the
// routes, connections and heartbeats it uses, with its own request timeout. Producers and
// consumers (`groups` given) join the process's shared instance for their options
// (ClientInstanceRegistry), at first use, so one that is never used holds nothing; others
// (Admin, IdClient) get a private one. Closing leaves the instance; the last started user to
// leave closes the connections, so one created and never started holds none open either (its
// client id, if read before, may change when it starts on a fresh instance).
import type { ConnectionOptions } from 'node:tls';

import { parseNameServers, type ClientOptions } from './client-options.js';
import {
  HEARTBEAT_INTERVAL_MS_DEFAULT,
  ROUTE_REFRESH_INTERVAL_MS_DEFAULT,
  REQUEST_TIMEOUT_MS_DEFAULT,
} from './client-constants.js';
import { ClientError } from './client-error.js';
import { CLIENT_INSTANCES } from './client-instance-registry.js';
import { clientTlsConnectionOptions } from './remoting/client-tls-options.js';
import type { RemotingClient, RequestSpec } from './remoting/remoting-client.js';
import {
  SharedClientInstance,
  type ClientHandlers,
  type ClientMember,
  type ConnectionSettings,
} from './shared-client-instance.js';
import type { TopicRoute } from './topic-route.js';
import { SERIALIZE_TYPE, type RemotingCommand } from '../protocol/remoting-command.js';
import { REQUEST_CODE } from '../protocol/request-code.js';

export type { ClientHandlers } from './shared-client-instance.js';

/** The groups a producer or consumer announces; given, it shares the process's instance. */
export interface ClientGroups {
  readonly producerGroup?: string;
  readonly consumerGroup?: string;
}

export class ClientInstance {
  readonly requestTimeoutMs: number;
  private readonly settings: ConnectionSettings;
  private readonly member: ClientMember;
  private joined: SharedClientInstance | undefined;
  private closed = false;

  constructor(
    private readonly options: ClientOptions,
    handlers: ClientHandlers,
    private readonly groups?: ClientGroups,
  ) {
    const nameServers = parseNameServers(options.nameServer);
    if (nameServers.length === 0) throw new ClientError('INVALID_ARGUMENT', 'nameServer lists no address');
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
    const { credentials } = options;
    if (credentials !== undefined && !(isNonEmpty(credentials.accessKey) && isNonEmpty(credentials.secretKey)))
      throw new ClientError('INVALID_ARGUMENT', 'credentials need a non-empty accessKey and secretKey');
    this.settings = {
      nameServers,
      serializeType: options.jsonHeaders === true ? SERIALIZE_TYPE.json : SERIALIZE_TYPE.msgpack,
      credentials,
      tls: tlsConnectionOptions(options.tls),
    };
    this.member = {
      handlers,
      ...groups,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS_DEFAULT,
      routeRefreshIntervalMs: options.routeRefreshIntervalMs ?? ROUTE_REFRESH_INTERVAL_MS_DEFAULT,
      requestTimeoutMs: this.requestTimeoutMs,
      logger: options.logger,
    };
  }

  /**
   * The instance, joined at first use, and joined afresh when the one joined closed before this
   * user started (only started users hold an instance open); after close, the one it left.
   */
  private get instance(): SharedClientInstance {
    if (this.joined !== undefined && (this.closed || !this.joined.isClosed)) return this.joined;
    if (this.closed) throw new ClientError('SHUT_DOWN');
    this.joined =
      this.groups === undefined
        ? new SharedClientInstance(this.settings)
        : CLIENT_INSTANCES.join(this.options, this.settings, this.member);
    if (this.groups === undefined) this.joined.join(this.member);
    return this.joined;
  }

  /** The instance's client id (ip@pid#n): shared by every member of a shared instance; fixed from start() on. */
  get clientId(): string {
    return this.instance.clientId;
  }

  /** The instance's connections. */
  get remoting(): RemotingClient {
    return this.instance.remoting;
  }

  /** Routes refresh and heartbeats go out periodically from now on (at the shortest interval any member asked for). */
  start(): void {
    this.instance.start(this.member);
  }

  /**
   * The topic's route, from the cache or the name servers; NO_ROUTE when none has it.
   * Concurrent callers share one fetch per topic.
   */
  route(topic: string, refresh = false): Promise<TopicRoute> {
    return this.instance.route(topic, refresh, this.requestTimeoutMs);
  }

  /** The route to send to `topic` on: its own, or the auto-create default topic's (SharedClientInstance.sendRoute). */
  sendRoute(topic: string, refresh = false): Promise<TopicRoute> {
    return this.instance.sendRoute(topic, refresh, this.requestTimeoutMs);
  }

  /** The topic's cached route, if any; no fetch. */
  cachedRoute(topic: string): TopicRoute | undefined {
    return this.instance.cachedRoute(topic);
  }

  /** The first successful answer of the name servers, tried in turn. */
  askNameServers(code: number, extFields: Record<string, string>): Promise<Buffer> {
    return this.instance.askNameServers(code, extFields, this.requestTimeoutMs);
  }

  /** The master address of a broker named in any cached route. */
  brokerAddress(brokerName: string): string | undefined {
    return this.instance.brokerAddress(brokerName);
  }

  /**
   * Where to read a broker set's queues and committed offsets: `preferredId` (a master's
   * suggestion) or the master, else a replica when the master is gone from the route.
   */
  brokerReadAddress(brokerName: string, preferredId = 0): string | undefined {
    return this.instance.brokerReadAddress(brokerName, preferredId);
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

  /** Brokers heartbeated though no cached route names them (SharedClientInstance.addHeartbeatTargets). */
  addHeartbeatTargets(addresses: Iterable<string>): void {
    this.instance.addHeartbeatTargets(addresses);
  }

  /** Addresses of every broker (masters and replicas) in the cached routes, and the heartbeat targets. */
  brokerAddresses(): string[] {
    return this.instance.brokerAddresses();
  }

  /** Sends a request; transport failures become ClientErrors; SHUT_DOWN once closed. */
  invoke(address: string, request: RequestSpec, timeoutMs = this.requestTimeoutMs): Promise<RemotingCommand> {
    if (this.closed) return Promise.reject(new ClientError('SHUT_DOWN'));
    return this.instance.invoke(address, request, timeoutMs);
  }

  /**
   * Sends this user's heartbeat (its groups alone) to every known broker; resolves when all
   * answered or failed, with a ClientError per broker that failed: BROKER_ERROR (with the
   * response code) for a refusal. The periodic heartbeats carry every member's groups.
   */
  heartbeatAll(): Promise<ClientError[]> {
    if (this.closed) return Promise.resolve([]);
    return this.instance.heartbeatMember(this.member, this.requestTimeoutMs);
  }

  /** Leaves the instance, unregistering this user's groups; the last member closes the connections. */
  async close(unregister?: { producerGroup?: string; consumerGroup?: string }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.joined?.leave(this.member, unregister);
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
