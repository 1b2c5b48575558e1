// The broker: a message store behind RocketMQ's remoting protocol, registered with name
// servers. startBroker wires the state machines, processors and background services.
import fs from 'node:fs';
import path from 'node:path';

import { clientTlsConnectionOptions } from '../client/remoting/client-tls-options.js';
import { REQUEST_CODE } from '../protocol/request-code.js';
import { MessageStore } from '../storage/index.js';
import { AdminProcessor } from './processors/admin-processor.js';
import { toHostAddress } from './broker-address.js';
import { SYSTEM_TOPIC } from './broker-constants.js';
import type { BrokerContext } from './broker-context.js';
import { resolveBrokerOptions, type BrokerOptions, type ResolvedBrokerOptions } from './broker-options.js';
import { brokerRuntimeInfoResponse, type BrokerRuntimeInfo } from './processors/broker-runtime-info.js';
import { brokerStatusTable } from './processors/broker-status-table.js';
import { GroupAdminProcessor } from './processors/group-admin-processor.js';
import { ResetOffsetProcessor } from './processors/reset-offset-processor.js';
import { ClientManageProcessor } from './processors/client-manage-processor.js';
import { ConsumerManageProcessor } from './processors/consumer-manage-processor.js';
import { ConsumerManager } from './clients/consumer-manager.js';
import type { ConnectionStats } from '../server/connection-limits.js';
import { ConsumerOffsetManager } from './state/consumer-offset-manager.js';
import { ConfigStore } from './state/config-store.js';
import { registerConfigCentre } from './config-centre/register-config-centre.js';
import { DeadLetterProcessor } from './processors/dead-letter-processor.js';
import { EndTransactionProcessor } from './processors/end-transaction-processor.js';
import { MessageWriter } from './delivery/message-writer.js';
import { NameServerRegistrar } from './name-server-registrar.js';
import { ProducerManager } from './clients/producer-manager.js';
import { PullMessageProcessor } from './processors/pull-message-processor.js';
import { PullRequestHoldService } from './delivery/pull-request-hold-service.js';
import { QueueLockManager } from './state/queue-lock-manager.js';
import { QueueLockProcessor } from './processors/queue-lock-processor.js';
import { RemotingServer } from '../server/remoting-server.js';
import { ScheduleMessageService } from './delivery/schedule-message-service.js';
import { SendBackProcessor } from './processors/send-back-processor.js';
import { SendMessageProcessor } from './processors/send-message-processor.js';
import type { ResourceAccess } from './access/resource-access.js';
import { retireUnusedRetryTopics } from './clients/retire-unused-retry-topics.js';
import { serverSecurity, type ServerSecurity } from './access/server-security.js';
import { SubscriptionGroupManager } from './state/subscription-group-manager.js';
import { topicConfig, TopicConfigManager } from './state/topic-config-manager.js';
import { TransactionCheckService } from './transactions/transaction-check-service.js';
import { TransactionProgress } from './state/transaction-progress.js';
import { BrokerMetrics } from './metrics/broker-metrics.js';
import { brokerReadiness, type Readiness } from './metrics/broker-readiness.js';
import { startBrokerHttp } from './metrics/broker-http.js';
import type { HttpEndpoint } from '../server/http/http-endpoint.js';
import type { StoreReader } from './store-reader.js';
import { TrafficCounters } from './metrics/traffic-counters.js';
import { DistributedLockService } from './locks/distributed-lock-service.js';
import { registerDistributedLocks } from './locks/register-distributed-locks.js';
import { IdSequences } from './state/id-sequences.js';
import { registerIds } from './ids/register-ids.js';
import { QuotaTable } from './state/quota-table.js';
import { QuotaEnforcer } from './quotas/quota-enforcer.js';
import { registerQuotas } from './quotas/register-quotas.js';
import type { ConsoleSources } from './console/console-sources.js';
import { RateHistory } from './console/rate-history.js';
import { JobSchedulerService } from './scheduler/job-scheduler-service.js';
import { registerJobScheduler } from './scheduler/register-job-scheduler.js';
import { TccLog } from './state/tcc-log.js';
import { registerTcc } from './tcc/register-tcc.js';
import { ReplicaReads } from './replication/replica-reads.js';
import { discardedSnapshots } from './state/discarded-snapshots.js';
import { startReplication, type Replication } from './replication/start-replication.js';
import { truncateUnreplicatedTail } from './replication/truncate-unreplicated-tail.js';
import { BrokerController } from './replication/broker-controller.js';
import type { ControlledRole } from './replication/controlled-role.js';

/**
 * A broker running in this process (startBroker). Serves RocketMQ 4.x remoting clients and
 * Tributary's own on `port`.
 */
export interface Broker {
  readonly port: number;
  /** 'ip:port' as clients reach it. */
  readonly address: string;
  readonly options: Readonly<ResolvedBrokerOptions>;
  readonly context: BrokerContext;
  /** The HTTP endpoint's port; undefined when `httpPort` is 'off'. */
  readonly httpPort: number | undefined;
  readonly metrics: BrokerMetrics;
  /** Its place in a replicated broker set (broker/replication/). */
  readonly replication: Replication;
  /** Delivers due delayed messages now (normally every 100 ms). */
  deliverDueMessages(): Promise<void>;
  /** Open connections and what the connection limits did so far. */
  connectionStats(): ConnectionStats;
  /**
   * Stops accepting, finishes what it was writing, flushes, checkpoints and closes the store; the
   * name servers drop it after their expiry.
   */
  close(): Promise<void>;
}

/**
 * Starts a broker: opens (and recovers) the store in `dataDirectory`, listens on `port` (default
 * 10911; 0 picks a free one) and registers with `nameServers` every 30 s. Every option and its
 * default: BrokerOptions.
 * @throws StoreError when the store cannot be opened (STORE_LOCKED: another process has the
 * directory; CORRUPT_STORE, CONFIG_MISMATCH), an Error when the port is taken or the ACL or TLS
 * files are invalid.
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  if ((options.etcd ?? []).length > 0) return startControlledBroker(options);
  return startBrokerInRole(options, undefined);
}

/** Controller mode (broker/replication/broker-controller.ts): the role follows etcd's election. */
async function startControlledBroker(options: BrokerOptions): Promise<Broker> {
  const resolved = resolveBrokerOptions(options);
  const controller = new BrokerController(options, resolved, startBrokerInRole);
  await controller.start();
  const { port, address } = controller.broker;
  return {
    port,
    address,
    options: resolved,
    get context() {
      return controller.broker.context;
    },
    get httpPort() {
      return controller.broker.httpPort;
    },
    get metrics() {
      return controller.broker.metrics;
    },
    get replication() {
      return controller.broker.replication;
    },
    deliverDueMessages: () => controller.broker.deliverDueMessages(),
    connectionStats: () => controller.broker.connectionStats(),
    close: () => controller.close(),
  };
}

/** A broker in one role: static, or the one the controller gives it (`control`). */
async function startBrokerInRole(options: BrokerOptions, control: ControlledRole | undefined): Promise<Broker> {
  const resolved = resolveBrokerOptions(options);
  const metrics = new BrokerMetrics(resolved);
  const { server, port, security } = await listenForClients(resolved, metrics);
  const address = `${resolved.advertisedHost}:${port}`;
  // Filled in as the broker comes up; the HTTP endpoint, up first, reads them when asked.
  const late: LateParts = {};
  const { http, context, schedule, registrar, store } = await openStateBehindHttp(
    resolved,
    { server, port, security, metrics, address, control },
    late,
  );
  late.registrar = registrar;
  const { topics } = context;
  const replication = await joinReplicatedSet(resolved, context, store, server, schedule, control).catch(
    async (error) => {
      await Promise.allSettled([http?.close(), server.close(), store.close()]);
      security.close();
      throw error;
    },
  );
  if (resolved.autoCreateTopics && !replication.isReplica)
    await topics.upsert(topicConfig(SYSTEM_TOPIC.autoCreate, resolved.defaultTopicQueueCount));
  const boot = { timestamp: Date.now(), maxOffset: context.store.stats().maxOffset };
  registerProcessors(server, context, boot);
  // A replica serves reads; the coordination and workflow services write, so its master runs them.
  const tcc = replication.isReplica ? undefined : await registerWritingServices(server, context);
  const stopServices = startServices(resolved, context, store, server, replication.isReplica ? undefined : schedule);
  metrics.attach({
    context,
    connections: () => server.stats,
    aclRefusals: () => security.accessControl?.refusals ?? 0,
  });
  late.readyStore = store;
  late.consoleSources = startConsoleSources(resolved, context, boot, registrar);
  const { rates } = late.consoleSources;
  await registrar.start();
  resolved.logger.debug(
    { port, httpPort: http?.port ?? 'off', address, dataDirectory: resolved.dataDirectory },
    'broker started',
  );
  return {
    port,
    address,
    options: resolved,
    context,
    httpPort: http?.port,
    metrics,
    replication,
    deliverDueMessages: () => schedule.tick(),
    connectionStats: () => server.stats,
    close: () =>
      closeRunningBroker({
        rates,
        http,
        registrar,
        stopServices,
        context,
        tcc,
        replication,
        server,
        security,
        store,
      }),
  };
}

/** What the HTTP endpoint reports on once the broker has it (readiness, the console). */
interface LateParts {
  registrar?: NameServerRegistrar;
  readyStore?: StoreReader;
  consoleSources?: ConsoleSources;
}

interface Listening {
  readonly server: RemotingServer;
  readonly port: number;
  readonly security: ServerSecurity;
  readonly metrics: BrokerMetrics;
  readonly address: string;
  readonly control: ControlledRole | undefined;
}

/**
 * Opens the HTTP endpoint, then the store and the state machines. The endpoint comes first so
 * /readyz can say the broker is still replaying; a failure closes what was opened.
 */
async function openStateBehindHttp(
  resolved: ResolvedBrokerOptions,
  { server, port, security, metrics, address, control }: Listening,
  late: LateParts,
): Promise<BrokerState & { http: HttpEndpoint | undefined }> {
  let http: HttpEndpoint | undefined;
  try {
    http = await openHttpEndpoint(
      resolved,
      security,
      metrics,
      () =>
        brokerReadiness({
          store: late.readyStore,
          registeredWith: () => late.registrar?.registeredWith ?? [],
          nameServers: resolved.nameServers,
        }),
      () => late.consoleSources,
    );
    const state = await openBrokerState(resolved, { address, port, access: security.access }, control);
    return { ...state, http };
  } catch (error) {
    await http?.close();
    await server.close();
    security.close();
    throw error;
  }
}

interface RunningBroker {
  readonly rates: { stop(): void };
  readonly http: HttpEndpoint | undefined;
  readonly registrar: NameServerRegistrar;
  readonly stopServices: () => Promise<void>;
  readonly context: BrokerContext;
  readonly tcc: { stop(): void } | undefined;
  readonly replication: Awaited<ReturnType<typeof joinReplicatedSet>>;
  readonly server: RemotingServer;
  readonly security: ServerSecurity;
  readonly store: MessageStore;
}

/** Stops what takes requests first and what holds state last, so nothing writes to a closed store. */
async function closeRunningBroker(broker: RunningBroker): Promise<void> {
  const { context } = broker;
  broker.rates.stop();
  await broker.http?.close();
  await broker.registrar.close();
  await broker.stopServices();
  await context.scheduler.stop();
  broker.tcc?.stop();
  await broker.replication.close();
  context.holds.releaseAll();
  context.distributedLocks.close();
  await broker.server.close();
  broker.security.close();
  await context.offsets.close();
  await broker.store.close();
}

/** The coordination and workflow services, which write and so run on a master only. */
async function registerWritingServices(server: RemotingServer, context: BrokerContext): Promise<{ stop(): void }> {
  registerDistributedLocks(server, context);
  registerIds(server, context);
  registerQuotas(server, context);
  await registerJobScheduler(server, context);
  return registerTcc(server, context);
}

/** What the web console reads (broker/console/), its rate history sampling from now on. */
function startConsoleSources(
  resolved: ResolvedBrokerOptions,
  context: BrokerContext,
  boot: ConsoleSources['boot'],
  registrar: NameServerRegistrar,
): ConsoleSources {
  const rates = new RateHistory(context.traffic);
  rates.start();
  return {
    context,
    rates,
    boot,
    registeredWith: () => registrar.registeredWith,
    nameServerTls:
      resolved.nameServerTls === undefined || resolved.nameServerTls === false
        ? undefined
        : clientTlsConnectionOptions(resolved.nameServerTls),
  };
}

/** The broker's place in its replicated set (README "Topologies"); a replica replays every machine. */
function joinReplicatedSet(
  resolved: ResolvedBrokerOptions,
  context: BrokerContext,
  store: MessageStore,
  server: RemotingServer,
  schedule: ScheduleMessageService,
  control: ControlledRole | undefined,
): Promise<Replication> {
  const { topics, groups, offsets, locks, transactions } = context;
  const machines = [
    ...[topics, groups, offsets, locks, transactions, schedule].map((part) => part.stateMachine),
    // The coordination and workflow services' machines, so a replica's state matches its master's.
    context.distributedLocks.stateMachine,
    context.ids.stateMachine,
    context.quotas.table.stateMachine,
    context.configCentre.stateMachine,
    context.scheduler.machine,
    context.tcc.stateMachine,
  ];
  return startReplication(resolved, context, store, server, machines, control);
}

/**
 * Delayed delivery, transaction check-backs and client expiry; returns what stops them. A
 * replica (no `schedule`) runs only client expiry: the rest write, and its master does them.
 */
function startServices(
  resolved: ResolvedBrokerOptions,
  context: BrokerContext,
  store: MessageStore,
  server: RemotingServer,
  schedule: ScheduleMessageService | undefined,
): () => Promise<void> {
  const transactionChecks = new TransactionCheckService(
    store,
    context.writer,
    context.transactions,
    context.producers,
    {
      checkIntervalMs: resolved.transactionCheckIntervalMs,
      timeoutMs: resolved.transactionTimeoutMs,
      checkMax: resolved.transactionCheckMax,
    },
    resolved.onError,
  );
  server.onChannelClosed((channel) => {
    context.consumers.channelClosed(channel);
    context.producers.channelClosed(channel);
    context.holds.channelClosed(channel);
  });
  const expiry = setInterval(() => {
    context.consumers.expire(resolved.clientExpiryMs);
    context.producers.expire(resolved.clientExpiryMs);
  }, resolved.clientExpiryScanIntervalMs);
  expiry.unref();
  if (schedule === undefined) return async () => clearInterval(expiry);
  const retirement = retireUnusedRetryTopics(context, resolved.onError);
  schedule.start();
  transactionChecks.start();
  return async () => {
    clearInterval(expiry);
    await retirement.stop();
    await schedule.stop();
    await transactionChecks.stop();
  };
}

/** The HTTP endpoint (README "HTTP endpoint") on `httpPort`, with the client port's TLS and ACL. */
function openHttpEndpoint(
  resolved: ResolvedBrokerOptions,
  security: ServerSecurity,
  metrics: BrokerMetrics,
  readiness: () => Readiness,
  console: () => ConsoleSources | undefined,
): Promise<HttpEndpoint | undefined> {
  if (resolved.httpPort === 'off') return Promise.resolve(undefined);
  return startBrokerHttp({
    host: resolved.host,
    port: resolved.httpPort,
    tls: security.serverOptions.tls,
    access: security.accessControl,
    metrics,
    logger: resolved.logger,
    readiness,
    console,
  });
}

/** The client port, listening, with its TLS and access control; nothing stays open on failure. */
async function listenForClients(
  resolved: ResolvedBrokerOptions,
  metrics: BrokerMetrics,
): Promise<{ server: RemotingServer; port: number; security: ServerSecurity }> {
  const security = serverSecurity(resolved);
  const server = new RemotingServer({
    ...security.serverOptions,
    ...resolved.connectionLimits,
    host: resolved.host,
    port: resolved.port,
    onProcessorError: (error, request) => resolved.onError(error, `processing request code ${request.code}`),
    onConnectionError: (error, remote) => resolved.onError(error, `closed the connection from ${remote}`),
    onAnswered: (requestCode, responseCode, elapsedMs) =>
      metrics.rpcLatency.observe(requestCode, responseCode, elapsedMs),
  });
  try {
    return { server, port: await server.listen(), security };
  } catch (error) {
    security.close();
    throw error;
  }
}

/** The open store and what lives on it; only the broker itself holds the store for writing. */
interface BrokerState {
  readonly context: BrokerContext;
  readonly schedule: ScheduleMessageService;
  readonly registrar: NameServerRegistrar;
  readonly store: MessageStore;
}

/** Opens the store and every state machine and service that lives on it. */
async function openBrokerState(
  resolved: ResolvedBrokerOptions,
  { address, port, access }: { address: string; port: number; access: ResourceAccess },
  control: ControlledRole | undefined,
): Promise<BrokerState> {
  fs.mkdirSync(resolved.dataDirectory, { recursive: true });
  const stateDirectory = path.join(resolved.dataDirectory, 'state');
  fs.mkdirSync(stateDirectory, { recursive: true });
  let retentionFloor = (): number => 0;
  const open = (): Promise<MessageStore> =>
    MessageStore.open(path.join(resolved.dataDirectory, 'store'), {
      ...resolved.store,
      flush: resolved.flush,
      storeHost: address,
      retentionFloor: () => retentionFloor(),
    });
  // A slave first cuts what its master never had (a former master's unreplicated tail).
  const store =
    resolved.role === 'slave'
      ? await truncateUnreplicatedTail(resolved, await open(), open, control?.locate)
      : await open();
  try {
    // A controlled master registers with its epoch: name servers refuse an older master's.
    const masterEpoch = control !== undefined && resolved.role !== 'slave' ? control.epoch : undefined;
    const discardedBefore = discardedSnapshots(stateDirectory).length;
    const assembled = assembleContext(
      resolved,
      { address, port, access, masterEpoch },
      store,
      stateDirectory,
      (floor) => (retentionFloor = floor),
    );
    for (const discarded of discardedSnapshots(stateDirectory).slice(discardedBefore))
      resolved.logger.warn(discarded, 'discarded a state snapshot the log cannot back; rebuilt from the log');
    await assembled.context.distributedLocks.started;
    return { ...assembled, store };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Builds the state machines and services on an open store. */
function assembleContext(
  resolved: ResolvedBrokerOptions,
  {
    address,
    port,
    access,
    masterEpoch,
  }: { address: string; port: number; access: ResourceAccess; masterEpoch?: number },
  store: MessageStore,
  stateDirectory: string,
  setRetentionFloor: (floor: () => number) => void,
): { context: BrokerContext; schedule: ScheduleMessageService; registrar: NameServerRegistrar } {
  const holds = new PullRequestHoldService();
  const writer = new MessageWriter(store, holds, resolved.delayLevelsMs);
  const machines = openStateMachines(resolved, store, stateDirectory, writer);
  const registrar = nameServerRegistrar(resolved, address, masterEpoch, machines.topics);
  setRetentionFloor(retentionFloorOf(machines));
  const { schedule, ...inContext } = machines;
  const context: BrokerContext = {
    options: resolved,
    store,
    ...inContext,
    consumers: new ConsumerManager(),
    producers: new ProducerManager(),
    holds,
    writer,
    access,
    traffic: new TrafficCounters(resolved.metricLabelsMax),
    replicaReads: new ReplicaReads(),
    address,
    storeHost: toHostAddress(resolved.advertisedHost, port),
    registerSoon: () => registrar.registerSoon(),
    deleteTopicQueues: (topic) => store.deleteTopicQueues(topic),
  };
  return { context, schedule, registrar };
}

/** The broker's state kept on the store: each rebuilt from its commands in the log. */
type BrokerStateMachines = Pick<
  BrokerContext,
  | 'topics'
  | 'groups'
  | 'offsets'
  | 'locks'
  | 'transactions'
  | 'tcc'
  | 'ids'
  | 'quotas'
  | 'distributedLocks'
  | 'configCentre'
  | 'scheduler'
> & { readonly schedule: ScheduleMessageService };

/** Opens every state machine on the store (each replays its commands as it opens). */
function openStateMachines(
  resolved: ResolvedBrokerOptions,
  store: MessageStore,
  stateDirectory: string,
  writer: MessageWriter,
): BrokerStateMachines {
  return {
    topics: new TopicConfigManager(store, stateDirectory),
    groups: new SubscriptionGroupManager(store, stateDirectory),
    offsets: new ConsumerOffsetManager(store, stateDirectory, resolved.onError),
    locks: new QueueLockManager(store, stateDirectory, resolved.queueLockLifetimeMs),
    transactions: new TransactionProgress(store, stateDirectory),
    tcc: new TccLog(store, stateDirectory),
    ids: new IdSequences(store, stateDirectory),
    quotas: new QuotaEnforcer(new QuotaTable(store, stateDirectory)),
    distributedLocks: new DistributedLockService(
      store,
      stateDirectory,
      resolved.onError,
      Date.now,
      resolved.role !== 'slave',
    ),
    configCentre: new ConfigStore(store, stateDirectory, resolved.configHistoryVersionsMax),
    schedule: new ScheduleMessageService(store, writer, stateDirectory, resolved.delayLevelsMs, resolved.onError),
    scheduler: new JobSchedulerService(store, writer, stateDirectory, resolved.onError),
  };
}

/** The lowest commit log offset any state machine still needs: retention never passes it. */
function retentionFloorOf(machines: BrokerStateMachines): () => number {
  const floors = [
    machines.topics.stateMachine,
    machines.groups.stateMachine,
    machines.offsets.stateMachine,
    // Its floor also keeps every message still held for later delivery.
    machines.schedule,
    machines.locks.stateMachine,
    machines.transactions.stateMachine,
    machines.tcc.stateMachine,
    machines.scheduler.machine,
    machines.ids.stateMachine,
    machines.quotas.table.stateMachine,
    machines.distributedLocks.stateMachine,
    machines.configCentre.stateMachine,
  ];
  return () => Math.min(...floors.map((machine) => machine.retentionFloor()));
}

/** Registers this broker (and its topics) with every name server, over TLS where configured. */
function nameServerRegistrar(
  resolved: ResolvedBrokerOptions,
  address: string,
  masterEpoch: number | undefined,
  topics: TopicConfigManager,
): NameServerRegistrar {
  return new NameServerRegistrar(
    resolved.nameServers,
    {
      clusterName: resolved.clusterName,
      brokerName: resolved.brokerName,
      brokerAddress: address,
      brokerId: resolved.brokerId,
      masterEpoch,
    },
    topics,
    resolved.registerIntervalMs,
    resolved.onError,
    resolved.nameServerTls === undefined || resolved.nameServerTls === false
      ? undefined
      : clientTlsConnectionOptions(resolved.nameServerTls),
  );
}

function runtimeInfo(
  server: RemotingServer,
  context: BrokerContext,
  boot: { timestamp: number; maxOffset: number },
): BrokerRuntimeInfo {
  return {
    bootTimestamp: boot.timestamp,
    memory: process.memoryUsage(),
    connections: server.stats,
    extra: brokerStatusTable(context, boot.timestamp, boot.maxOffset),
  };
}

function registerProcessors(
  server: RemotingServer,
  context: BrokerContext,
  boot: { timestamp: number; maxOffset: number },
): void {
  const send = new SendMessageProcessor(context);
  const pull = new PullMessageProcessor(context);
  const clients = new ClientManageProcessor(context);
  const consumers = new ConsumerManageProcessor(context);
  const sendBack = new SendBackProcessor(context);
  const admin = new AdminProcessor(context);
  const groupAdmin = new GroupAdminProcessor(context);
  const resetOffset = new ResetOffsetProcessor(context);
  const deadLetters = new DeadLetterProcessor(context);
  const locks = new QueueLockProcessor(context.locks);
  const endTransaction = new EndTransactionProcessor(context);
  server.register(REQUEST_CODE.SEND_MESSAGE, (request, channel) => send.send(request, channel));
  server.register(REQUEST_CODE.SEND_MESSAGE_V2, (request, channel) => send.send(request, channel));
  server.register(REQUEST_CODE.SEND_BATCH_MESSAGE, (request, channel) => send.sendBatch(request, channel));
  server.register(REQUEST_CODE.PULL_MESSAGE, (request, channel) => pull.pull(request, channel));
  server.register(REQUEST_CODE.HEART_BEAT, (request, channel) => clients.heartbeat(request, channel));
  server.register(REQUEST_CODE.UNREGISTER_CLIENT, (request, channel) => clients.unregister(request, channel));
  server.register(REQUEST_CODE.GET_CONSUMER_LIST_BY_GROUP, (request) => consumers.consumerList(request));
  server.register(REQUEST_CODE.QUERY_CONSUMER_OFFSET, (request) => consumers.queryOffset(request));
  server.register(REQUEST_CODE.UPDATE_CONSUMER_OFFSET, (request) => consumers.updateOffset(request));
  server.register(REQUEST_CODE.CONSUMER_SEND_MSG_BACK, (request, channel) => sendBack.sendBack(request, channel));
  server.register(REQUEST_CODE.LOCK_BATCH_MQ, (request) => locks.lock(request));
  server.register(REQUEST_CODE.UNLOCK_BATCH_MQ, (request) => locks.unlock(request));
  server.register(REQUEST_CODE.END_TRANSACTION, (request, channel) => endTransaction.end(request, channel));
  const adminRoutes: [number, Parameters<AdminProcessor['guarded']>[0]][] = [
    [REQUEST_CODE.UPDATE_AND_CREATE_TOPIC, (r, f) => admin.createTopic(r, f)],
    [REQUEST_CODE.DELETE_TOPIC_IN_BROKER, (r, f) => admin.deleteTopic(r, f)],
    [REQUEST_CODE.GET_ALL_TOPIC_CONFIG, (r) => admin.allTopics(r)],
    [REQUEST_CODE.GET_BROKER_RUNTIME_INFO, (r) => brokerRuntimeInfoResponse(r, runtimeInfo(server, context, boot))],
    [REQUEST_CODE.GET_MAX_OFFSET, (r, f) => admin.maxOffset(r, f)],
    [REQUEST_CODE.GET_MIN_OFFSET, (r, f) => admin.minOffset(r, f)],
    [REQUEST_CODE.SEARCH_OFFSET_BY_TIMESTAMP, (r, f) => admin.searchOffset(r, f)],
    [REQUEST_CODE.GET_EARLIEST_MSG_STORETIME, (r, f) => admin.earliestStoreTime(r, f)],
    [REQUEST_CODE.VIEW_MESSAGE_BY_ID, (r, f) => admin.viewById(r, f)],
    [REQUEST_CODE.QUERY_MESSAGE, (r, f) => admin.queryMessage(r, f)],
    [REQUEST_CODE.GET_TOPIC_STATS_INFO, (r, f) => admin.topicStats(r, f)],
    [REQUEST_CODE.GET_CONSUME_STATS, (r, f) => admin.consumeStats(r, f)],
    [REQUEST_CODE.GET_CONSUMER_CONNECTION_LIST, (r, f) => admin.consumerConnections(r, f)],
    [REQUEST_CODE.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, (r) => groupAdmin.allGroups(r)],
    [REQUEST_CODE.DELETE_SUBSCRIPTIONGROUP, (r, f) => groupAdmin.deleteGroup(r, f)],
    [REQUEST_CODE.INVOKE_BROKER_TO_RESET_OFFSET, (r, f) => resetOffset.reset(r, f)],
    [REQUEST_CODE.TRIBUTARY_QUERY_DEAD_LETTERS, (r, f) => deadLetters.list(r, f)],
    [REQUEST_CODE.TRIBUTARY_RESEND_DEAD_LETTER, (r, f) => deadLetters.resend(r, f)],
  ];
  for (const [code, handler] of adminRoutes) server.register(code, admin.guarded(handler));
  registerConfigCentre(server, context);
}
