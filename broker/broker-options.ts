// Options of startBroker and their defaults.
import os from 'node:os';

import type { ClientTlsOptions } from '../client/remoting/client-tls-options.js';
import type { MessageStoreOptions, FlushMode } from '../storage/index.js';
import type { AclOption } from './access/access-control.js';
import { CONFIG_HISTORY_VERSIONS_MAX_DEFAULT } from './config-centre/config-centre-constants.js';
import {
  ACL_RELOAD_INTERVAL_MS_DEFAULT,
  BROKER_NAME_DEFAULT,
  BROKER_PORT_DEFAULT,
  CLIENT_EXPIRY_MS_DEFAULT,
  CLIENT_EXPIRY_SCAN_INTERVAL_MS_DEFAULT,
  CLUSTER_NAME_DEFAULT,
  DATA_DIRECTORY_DEFAULT,
  DELAY_LEVELS_MS_DEFAULT,
  MASTER_BROKER_ID,
  MESSAGE_IN_MEMORY_RATIO_DEFAULT,
  METRIC_LABELS_MAX_DEFAULT,
  QUEUE_LOCK_LIFETIME_MS_DEFAULT,
  REGISTER_INTERVAL_MS_DEFAULT,
  SYNC_REPLICAS_DEFAULT,
  SYNC_REPLICA_TIMEOUT_MS_DEFAULT,
  TOPIC_QUEUE_COUNT_DEFAULT,
  TRANSACTION_CHECK_INTERVAL_MS_DEFAULT,
  TRANSACTION_CHECK_MAX_DEFAULT,
  TRANSACTION_TIMEOUT_MS_DEFAULT,
} from './broker-constants.js';
import type { BrokerTlsOptions } from '../server/broker-tls-options.js';
import { resolveConnectionLimits, type ConnectionLimits } from '../server/connection-limits.js';
import { rateLimitedErrorLog } from '../server/rate-limited-error-log.js';
import type { HttpPortOption } from '../server/http/http-port.js';
import { errorReporter, processLogger, type Logger } from '../server/http/process-logger.js';
import { LOG_LEVEL_DEFAULT } from '../server/server-constants.js';

/**
 * Options of startBroker; every one is optional. Defaults follow RocketMQ 4.x where it has one (see
 * each field).
 */
export interface BrokerOptions {
  /** Where the store and state live (default ./data). */
  dataDirectory?: string;
  /** Address to listen on (default 0.0.0.0) and port (default 10911; 0 picks a free one). */
  host?: string;
  port?: number;
  /** Host clients are told to connect to, and written as STOREHOST (default 127.0.0.1). */
  advertisedHost?: string;
  brokerName?: string;
  clusterName?: string;
  /** 0 for a master (default), >= 1 for a replica of the master of the same brokerName. */
  brokerId?: number;
  /**
   * 'async-master' (default), 'sync-master' (a send is acknowledged once `syncReplicas` in-sync
   * replicas hold it) or 'slave' (follows its master; README "Topologies").
   */
  role?: BrokerRole;
  /** A master's replication port (0 picks a free one) or 'off' (default; `tributary broker`: 10912). */
  haPort?: number | 'off';
  /**
   * 'host:port' a master tells its replicas to reach its HA port at, when that is not
   * `advertisedHost:haPort` (a NAT, a container's mapped port, a proxy in between). Default:
   * advertisedHost:haPort.
   */
  haAdvertisedAddress?: string;
  /** In-sync replicas a sync master waits for (default 1). */
  syncReplicas?: number;
  /** How long a sync master waits for them before FLUSH_SLAVE_TIMEOUT (default 5 s). */
  syncReplicaTimeoutMs?: number;
  /**
   * A slave under a master with ACL on: the admin account of the master's list it signs its
   * lookups and HA stream with (broker/replication/replica-auth.ts). `tributary broker` takes it
   * from TRIBUTARY_ACCESS_KEY / TRIBUTARY_SECRET_KEY.
   */
  replicaCredentials?: { readonly accessKey: string; readonly secretKey: string };
  /** Name servers to register with, 'host:port' each. */
  nameServers?: readonly string[];
  /**
   * Controller mode: etcd endpoints ('host:port' or URLs). The brokers of this broker name
   * elect their master through etcd and change roles at run time; each needs its own
   * `brokerId` >= 1, and `role` says what the elected master is (README "Topologies").
   * Empty (default): roles are static.
   */
  etcd?: readonly string[];
  flush?: FlushMode;
  /** Create a topic on first send to it (default false). */
  autoCreateTopics?: boolean;
  defaultTopicQueueCount?: number;
  registerIntervalMs?: number;
  clientExpiryMs?: number;
  clientExpiryScanIntervalMs?: number;
  /** The delay of each level in ms, level 1 first (default RocketMQ's 18 levels). */
  delayLevelsMs?: readonly number[];
  /** How long an orderly consumer's queue lock lives after its last renewal (default 60 s). */
  queueLockLifetimeMs?: number;
  /** Config centre versions kept per item; older ones are dropped (default 50). */
  configHistoryVersionsMax?: number;
  /** How often open transactions are checked back with their producers (default 30 s). */
  transactionCheckIntervalMs?: number;
  /** A transaction younger than this is not checked back yet (default 6 s). */
  transactionTimeoutMs?: number;
  /** Check-backs before an open transaction is moved to the check-max topic (default 15). */
  transactionCheckMax?: number;
  /**
   * Commit log bytes behind its end counted as still in memory: a new group starts at offset 0
   * of a queue whose first message lies within them (default 40% of physical memory, as
   * RocketMQ's accessMessageInMemoryMaxRatio; README "Compatibility with RocketMQ 4.x").
   */
  messageInMemoryBytes?: number;
  /** Connections, idle timeout, frame size, in-flight requests, slow readers (README "Limits"). */
  connectionLimits?: ConnectionLimits;
  /** Passed to the message store (segment size, retention, ...). */
  store?: MessageStoreOptions;
  /**
   * Access control, off by default: the path of a JSON ACL file (reloaded when it changes) or
   * the same document inline (broker/access/acl-config.ts, README "Access control and TLS").
   */
  acl?: AclOption;
  /** How often an ACL file is checked for changes (default 2 s). */
  aclReloadIntervalMs?: number;
  /** TLS on the client port, off by default. */
  tls?: BrokerTlsOptions;
  /** TLS for registering with TLS name servers: true (system CAs) or a CA, client cert... */
  nameServerTls?: boolean | ClientTlsOptions;
  /**
   * The HTTP endpoint (/healthz, /readyz, /metrics; README "HTTP endpoint"): a port (0 picks a
   * free one) or 'off'. Off by default in the library (an embedded broker opens no port it was
   * not asked for); `tributary broker` defaults to HTTP_PORT_DEFAULT (5557).
   */
  httpPort?: HttpPortOption;
  /** Topics, and groups, with metric labels of their own; later ones are `_other` (default 500). */
  metricLabelsMax?: number;
  /** JSON-lines logger (pino); default: a pino logger on stderr at `logLevel`. */
  logger?: Logger;
  /** Level of the default logger (default info). */
  logLevel?: string;
  /** Where background failures go (default: the logger, at error level). */
  onError?: (error: unknown, context: string) => void;
}

/**
 * A broker's place in its replicated set (RocketMQ's brokerRole): 'async-master' acknowledges a
 * send once stored locally; 'sync-master' once `syncReplicas` in-sync replicas hold it too
 * (SLAVE_NOT_AVAILABLE or FLUSH_SLAVE_TIMEOUT otherwise); 'slave' follows its master over the
 * HA port and refuses client writes. Default 'async-master'.
 */
export type BrokerRole = 'async-master' | 'sync-master' | 'slave';
/** Every BrokerRole, in the order `--role` lists them. */
export const BROKER_ROLES: readonly BrokerRole[] = ['async-master', 'sync-master', 'slave'];

/** Options that stay optional once resolved: absent means the feature is off. */
type SwitchOptions = 'acl' | 'tls' | 'nameServerTls' | 'replicaCredentials' | 'haAdvertisedAddress';

export type ResolvedBrokerOptions = Required<Omit<BrokerOptions, 'store' | SwitchOptions>> &
  Pick<BrokerOptions, SwitchOptions> & { store: MessageStoreOptions };

export function resolveBrokerOptions(options: BrokerOptions = {}): ResolvedBrokerOptions {
  const logLevel = options.logLevel ?? LOG_LEVEL_DEFAULT;
  const logger = (options.logger ?? processLogger('tributary-broker', logLevel, 'stderr')).child({
    broker: options.brokerName ?? BROKER_NAME_DEFAULT,
  });
  return {
    dataDirectory: options.dataDirectory ?? DATA_DIRECTORY_DEFAULT,
    host: options.host ?? '0.0.0.0',
    port: options.port ?? BROKER_PORT_DEFAULT,
    advertisedHost: options.advertisedHost ?? '127.0.0.1',
    brokerName: options.brokerName ?? BROKER_NAME_DEFAULT,
    clusterName: options.clusterName ?? CLUSTER_NAME_DEFAULT,
    brokerId: options.brokerId ?? (options.role === 'slave' ? 1 : MASTER_BROKER_ID),
    role: options.role ?? 'async-master',
    haPort: options.haPort ?? 'off',
    syncReplicas: options.syncReplicas ?? SYNC_REPLICAS_DEFAULT,
    syncReplicaTimeoutMs: options.syncReplicaTimeoutMs ?? SYNC_REPLICA_TIMEOUT_MS_DEFAULT,
    replicaCredentials: options.replicaCredentials,
    haAdvertisedAddress: options.haAdvertisedAddress,
    nameServers: options.nameServers ?? [],
    etcd: options.etcd ?? [],
    flush: options.flush ?? 'async',
    autoCreateTopics: options.autoCreateTopics ?? false,
    defaultTopicQueueCount: options.defaultTopicQueueCount ?? TOPIC_QUEUE_COUNT_DEFAULT,
    registerIntervalMs: options.registerIntervalMs ?? REGISTER_INTERVAL_MS_DEFAULT,
    clientExpiryMs: options.clientExpiryMs ?? CLIENT_EXPIRY_MS_DEFAULT,
    clientExpiryScanIntervalMs: options.clientExpiryScanIntervalMs ?? CLIENT_EXPIRY_SCAN_INTERVAL_MS_DEFAULT,
    delayLevelsMs: options.delayLevelsMs ?? DELAY_LEVELS_MS_DEFAULT,
    queueLockLifetimeMs: options.queueLockLifetimeMs ?? QUEUE_LOCK_LIFETIME_MS_DEFAULT,
    configHistoryVersionsMax: options.configHistoryVersionsMax ?? CONFIG_HISTORY_VERSIONS_MAX_DEFAULT,
    transactionCheckIntervalMs: options.transactionCheckIntervalMs ?? TRANSACTION_CHECK_INTERVAL_MS_DEFAULT,
    transactionTimeoutMs: options.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS_DEFAULT,
    transactionCheckMax: options.transactionCheckMax ?? TRANSACTION_CHECK_MAX_DEFAULT,
    messageInMemoryBytes: options.messageInMemoryBytes ?? Math.floor(os.totalmem() * MESSAGE_IN_MEMORY_RATIO_DEFAULT),
    connectionLimits: resolveConnectionLimits(options.connectionLimits),
    store: options.store ?? {},
    acl: options.acl,
    aclReloadIntervalMs: options.aclReloadIntervalMs ?? ACL_RELOAD_INTERVAL_MS_DEFAULT,
    tls: options.tls,
    nameServerTls: options.nameServerTls,
    httpPort: options.httpPort ?? 'off',
    metricLabelsMax: options.metricLabelsMax ?? METRIC_LABELS_MAX_DEFAULT,
    logger,
    logLevel,
    onError: rateLimitedErrorLog(options.onError ?? errorReporter(logger)),
  };
}
