// What producers and consumers of one process share underneath (RocketMQ's MQClientInstance,
// one per client id): one connection per name server and broker, the topic routes fetched
// from the name servers (with fail-over between them) and refreshed every 30 s, and heartbeats
// to every known broker every 30 s. Each user is a member; the instance lives while any member
// does (ClientInstance is a member's view, ClientInstanceRegistry hands instances out).
//
// Why share: at end to end a send's answer and a held pull's answer leave the broker in one
// write and wake the client once, and the client's sends and next pulls likewise
// (native-bench/README.md, "Shared client connection"). One heartbeat carries every member's
// producer and consumer groups; requests from the broker go to the member of the group they
// name (broker-request-owner.ts). A member leaving unregisters its own groups only.
//
// Only started members hold the instance open: when the last started member leaves, the
// connections close even if members that never started remain (a consumer created and never
// started or shut down must not keep them open); such a member joins a fresh instance if it
// starts later (ClientInstance). A request that times out fails alone unless nothing at all
// arrived on its connection since it was sent (then the connection is taken for dead and
// dropped; remoting-client.ts).
import type { ConnectionOptions } from 'node:tls';

import { SILENT_CLIENT_LOGGER, type ClientLogger } from './client-logger.js';
import { newClientId } from './client-options.js';
import { ClientError } from './client-error.js';
import { brokerRequestOwner } from './broker-request-owner.js';
import type { AccessCredentials } from '../protocol/request-signature.js';
import { RemotingClient, type RequestSpec } from './remoting/remoting-client.js';
import { masterAddress, parseRoute, readAddress, type TopicRoute, routeFromDefaultTopic } from './topic-route.js';
import { responseTo, type RemotingCommand } from '../protocol/remoting-command.js';
import { RemotingError } from '../protocol/remoting-error.js';
import { REQUEST_CODE } from '../protocol/request-code.js';
import { RESPONSE_CODE } from '../protocol/response-code.js';
import { AUTO_CREATE_TOPIC_KEY_TOPIC, AUTO_CREATE_TOPIC_QUEUE_COUNT } from '../protocol/header-fields.js';

/** A member's part of a heartbeat (RocketMQ's HeartbeatData without the clientID). */
export interface HeartbeatGroups {
  readonly producerDataSet: readonly object[];
  readonly consumerDataSet: readonly object[];
}

/** What a member of an instance is told, and what it answers. */
export interface ClientHandlers {
  /** The producer and consumer groups this member announces in heartbeats. */
  heartbeat(): HeartbeatGroups;
  onConsumerIdsChanged?(group: string): void;
  /** A periodic heartbeat that failed (a refusal carries the broker's response code). */
  heartbeatFailed?(error: ClientError): void;
  onRequest?(
    request: RemotingCommand,
    brokerAddress: string,
  ): RemotingCommand | undefined | Promise<RemotingCommand | undefined>;
}

/** A user of an instance: its handlers, its groups and the intervals it asked for. */
export interface ClientMember {
  readonly handlers: ClientHandlers;
  readonly producerGroup?: string;
  readonly consumerGroup?: string;
  readonly heartbeatIntervalMs: number;
  readonly routeRefreshIntervalMs: number;
  readonly requestTimeoutMs: number;
  readonly logger: ClientLogger | undefined;
}

/** How an instance connects: the same for every member (ClientInstanceRegistry's key). */
export interface ConnectionSettings {
  readonly nameServers: readonly string[];
  readonly serializeType: number;
  readonly credentials: AccessCredentials | undefined;
  readonly tls: ConnectionOptions | undefined;
}

interface Timers {
  readonly heartbeatMs: number;
  readonly routeRefreshMs: number;
  readonly handles: NodeJS.Timeout[];
}

export class SharedClientInstance {
  readonly clientId = newClientId();
  readonly remoting: RemotingClient;
  private nameServerIndex = 0;
  private readonly routes = new Map<string, TopicRoute>();
  private readonly fetching = new Map<string, Promise<TopicRoute>>();
  /** Brokers heartbeated though no cached route names them (see addHeartbeatTargets). */
  private readonly heartbeatTargets = new Set<string>();
  private readonly members = new Set<ClientMember>();
  /** Members whose start() ran: only they get the periodic work. */
  private readonly started = new Set<ClientMember>();
  /** Heartbeats in flight: a leaving member waits for them, so none re-registers it after its unregistration. */
  private readonly heartbeats = new Set<Promise<unknown>>();
  private timers: Timers | undefined;
  private closed = false;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly onClosed: (instance: SharedClientInstance) => void = () => undefined,
  ) {
    this.remoting = new RemotingClient({
      serializeType: settings.serializeType,
      credentials: settings.credentials,
      tls: settings.tls,
      dropSilentOnTimeout: true,
      onRequest: (request, address) => this.onServerRequest(request, address),
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether a member already announces `group` in that role (a second one gets its own instance). */
  hasGroup(role: 'producer' | 'consumer', group: string): boolean {
    for (const member of this.members) {
      if ((role === 'producer' ? member.producerGroup : member.consumerGroup) === group) return true;
    }
    return false;
  }

  join(member: ClientMember): void {
    if (this.closed) throw new ClientError('SHUT_DOWN');
    this.members.add(member);
  }

  /** The member's periodic work begins: heartbeats and route refreshes at the shortest interval any started member asked for. */
  start(member: ClientMember): void {
    this.started.add(member);
    this.rearm();
  }

  /**
   * The member leaves: its groups are unregistered at every known broker (`unregister`), and
   * the last started member to leave closes the connections (members never started are let go).
   */
  async leave(member: ClientMember, unregister: Record<string, string> | undefined): Promise<void> {
    if (!this.members.delete(member)) return;
    this.started.delete(member);
    this.rearm();
    await Promise.allSettled([...this.heartbeats]);
    if (unregister !== undefined) {
      const extFields = { clientID: this.clientId, ...unregister };
      await Promise.allSettled(
        this.brokerAddresses().map((address) =>
          this.invoke(address, { code: REQUEST_CODE.UNREGISTER_CLIENT, extFields }, member.requestTimeoutMs),
        ),
      );
    }
    // A member may have started while this one was unregistering.
    if (this.started.size > 0 || this.closed) return;
    this.closed = true;
    this.members.clear();
    this.remoting.close();
    this.onClosed(this);
  }

  /** Runs the periodic work at the shortest intervals the started members asked for; none when no member started. */
  private rearm(): void {
    const members = [...this.started];
    const heartbeatMs = Math.min(...members.map((member) => member.heartbeatIntervalMs));
    const routeRefreshMs = Math.min(...members.map((member) => member.routeRefreshIntervalMs));
    if (this.timers?.heartbeatMs === heartbeatMs && this.timers.routeRefreshMs === routeRefreshMs) return;
    for (const handle of this.timers?.handles ?? []) clearInterval(handle);
    this.timers = undefined;
    if (members.length === 0 || this.closed) return;
    // A failed round is retried at the next tick; the members' loggers hear of it.
    const every = (ms: number, what: string, task: () => Promise<unknown>): NodeJS.Timeout =>
      setInterval(() => void task().catch((error: unknown) => this.log('warn', { err: error }, what)), ms).unref();
    this.timers = {
      heartbeatMs,
      routeRefreshMs,
      handles: [
        every(routeRefreshMs, 'route refresh failed', () => this.refreshRoutes()),
        every(heartbeatMs, 'heartbeat failed', () => this.heartbeatAll()),
      ],
    };
  }

  /** The timeout of the periodic requests: the longest any started member allows. */
  private backgroundTimeoutMs(): number {
    return Math.max(...[...this.started].map((member) => member.requestTimeoutMs));
  }

  private log(level: 'warn' | 'debug', fields: Record<string, unknown>, message: string): void {
    const loggers = new Set([...this.started].map((member) => member.logger ?? SILENT_CLIENT_LOGGER));
    for (const logger of loggers) logger[level](fields, message);
  }

  /**
   * The topic's route, from the cache or the name servers; NO_ROUTE when none has it.
   * Concurrent callers share one fetch per topic.
   */
  route(topic: string, refresh: boolean, timeoutMs: number): Promise<TopicRoute> {
    const cached = this.routes.get(topic);
    if (cached !== undefined && !refresh) return Promise.resolve(cached);
    let fetching = this.fetching.get(topic);
    if (fetching === undefined) {
      fetching = this.fetchRoute(topic, timeoutMs)
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
  async sendRoute(topic: string, refresh: boolean, timeoutMs: number): Promise<TopicRoute> {
    try {
      return await this.route(topic, refresh, timeoutMs);
    } catch (error) {
      if (!(error instanceof ClientError && error.code === 'NO_ROUTE')) throw error;
      const fallback = await this.route(AUTO_CREATE_TOPIC_KEY_TOPIC, refresh, timeoutMs).catch(() => undefined);
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

  private async fetchRoute(topic: string, timeoutMs: number): Promise<TopicRoute | undefined> {
    try {
      return parseRoute(await this.askNameServers(REQUEST_CODE.GET_ROUTEINFO_BY_TOPIC, { topic }, timeoutMs));
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
  async askNameServers(code: number, extFields: Record<string, string>, timeoutMs: number): Promise<Buffer> {
    const nameServers = this.settings.nameServers;
    let refusal: ClientError | undefined;
    let lastError: unknown;
    const start = this.nameServerIndex;
    for (let tried = 0; tried < nameServers.length; tried++) {
      const index = (start + tried) % nameServers.length;
      const address = nameServers[index]!;
      try {
        const response = await this.remoting.invoke(address, { code, extFields }, timeoutMs);
        if (response.code === RESPONSE_CODE.SUCCESS) {
          this.nameServerIndex = index;
          return (response.body as Buffer | undefined) ?? Buffer.alloc(0);
        }
        refusal = ClientError.fromResponse(response.code, response.remark, `name server ${address}`);
      } catch (error) {
        lastError = error;
      }
    }
    throw refusal ?? new ClientError('NO_NAME_SERVER', nameServers.join(';'), { cause: lastError });
  }

  private async refreshRoutes(): Promise<void> {
    const timeoutMs = this.backgroundTimeoutMs();
    for (const topic of [...this.routes.keys()]) {
      // The cached route stays in use; the next refresh tries again.
      await this.route(topic, true, timeoutMs).catch((error: unknown) =>
        this.log('debug', { err: error, topic }, 'route refresh failed'),
      );
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
  brokerReadAddress(brokerName: string, preferredId: number): string | undefined {
    for (const route of this.routes.values()) {
      const address = readAddress(route, brokerName, preferredId);
      if (address !== undefined) return address;
    }
    return undefined;
  }

  /**
   * Heartbeats (and unregistrations) also go to these brokers, not only to those of cached
   * routes: a transaction producer must be known to every broker that may check a
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
  async invoke(address: string, request: RequestSpec, timeoutMs: number): Promise<RemotingCommand> {
    if (this.closed) throw new ClientError('SHUT_DOWN');
    try {
      return await this.remoting.invoke(address, request, timeoutMs);
    } catch (error) {
      // The remoting client dropped the connection if nothing at all came back on it since the
      // request was sent; otherwise the other members' requests on it go on.
      if (error instanceof RemotingError && error.code === 'TIMEOUT')
        throw new ClientError('TIMEOUT', `${address}`, { cause: error });
      throw new ClientError('BROKER_UNAVAILABLE', address, { cause: error });
    }
  }

  /**
   * The periodic heartbeat: one per broker carrying every started member's groups. A broker refusing
   * it (one member's group not permitted) is asked again member by member, so each member
   * hears of its own refusal only and the others stay registered.
   */
  private heartbeatAll(): Promise<unknown> {
    // Started members only: a consumer never started must not be handed queues.
    const members = [...this.started];
    if (members.length === 0) return Promise.resolve();
    const merged = this.heartbeatBody(members);
    const timeoutMs = this.backgroundTimeoutMs();
    return this.tracked(
      Promise.all(
        this.brokerAddresses().map(async (address) => {
          const failure = await this.heartbeatTo(address, merged, timeoutMs);
          if (failure === undefined) return;
          for (const member of members) {
            const own =
              failure.responseCode === undefined || members.length === 1
                ? failure
                : await this.heartbeatTo(address, this.heartbeatBody([member]), timeoutMs);
            if (own !== undefined) member.handlers.heartbeatFailed?.(own);
          }
        }),
      ),
    );
  }

  /**
   * A heartbeat of `member`'s groups alone to every known broker; resolves when all answered or
   * failed, with a ClientError per broker that failed: BROKER_ERROR (with the response code)
   * for a refusal.
   */
  async heartbeatMember(member: ClientMember, timeoutMs: number): Promise<ClientError[]> {
    const body = this.heartbeatBody([member]);
    const failures = await this.tracked(
      Promise.all(this.brokerAddresses().map((address) => this.heartbeatTo(address, body, timeoutMs))),
    );
    return failures.filter((failure) => failure !== undefined);
  }

  private tracked<T>(heartbeat: Promise<T>): Promise<T> {
    this.heartbeats.add(heartbeat);
    const untrack = (): void => void this.heartbeats.delete(heartbeat);
    heartbeat.then(untrack, untrack);
    return heartbeat;
  }

  private heartbeatBody(members: readonly ClientMember[]): Buffer {
    const producerDataSet: object[] = [];
    const consumerDataSet: object[] = [];
    for (const member of members) {
      const groups = member.handlers.heartbeat();
      producerDataSet.push(...groups.producerDataSet);
      consumerDataSet.push(...groups.consumerDataSet);
    }
    return Buffer.from(JSON.stringify({ clientID: this.clientId, producerDataSet, consumerDataSet }));
  }

  /** One heartbeat; the failure, or undefined when it succeeded or the instance closed meanwhile. */
  private async heartbeatTo(address: string, body: Buffer, timeoutMs: number): Promise<ClientError | undefined> {
    try {
      const response = await this.invoke(address, { code: REQUEST_CODE.HEART_BEAT, body }, timeoutMs);
      if (response.code === RESPONSE_CODE.SUCCESS) return undefined;
      return ClientError.fromResponse(response.code, response.remark, `heartbeat to ${address}`);
    } catch (error) {
      if (error instanceof ClientError && error.code === 'SHUT_DOWN') return undefined;
      return error instanceof ClientError ? error : new ClientError('BROKER_UNAVAILABLE', address);
    }
  }

  /** A request from a broker, handed to the member it is for (the only member, on a private instance). */
  private onServerRequest(
    request: RemotingCommand,
    address: string,
  ): RemotingCommand | undefined | Promise<RemotingCommand | undefined> {
    const member = this.memberFor(request);
    if (request.code === REQUEST_CODE.NOTIFY_CONSUMER_IDS_CHANGED) {
      const group = request.extFields?.consumerGroup;
      if (group !== undefined) member?.handlers.onConsumerIdsChanged?.(String(group));
      return undefined;
    }
    if (member?.handlers.onRequest !== undefined) return member.handlers.onRequest(request, address);
    return responseTo(request, RESPONSE_CODE.REQUEST_CODE_NOT_SUPPORTED, `request code ${request.code} not supported`);
  }

  /**
   * The member of the role and group the request names; the only member of that role when the
   * group is not said or names none here; the only member at all for a request naming no role.
   */
  private memberFor(request: RemotingCommand): ClientMember | undefined {
    const owner = brokerRequestOwner(request);
    const members = [...this.members];
    if (owner === undefined) return members.length === 1 ? members[0] : undefined;
    const groupOf = (member: ClientMember): string | undefined =>
      owner.role === 'producer' ? member.producerGroup : member.consumerGroup;
    const ofRole = members.filter((member) => groupOf(member) !== undefined || members.length === 1);
    return ofRole.find((member) => groupOf(member) === owner.group) ?? (ofRole.length === 1 ? ofRole[0] : undefined);
  }
}
