// What the broker's processors and services share.
import type { HostAddressLike } from './broker-address.js';
import type { ConfigStore } from './state/config-store.js';
import type { ConsumerManager } from './clients/consumer-manager.js';
import type { ConsumerOffsetManager } from './state/consumer-offset-manager.js';
import type { MessageWriter } from './delivery/message-writer.js';
import type { ProducerManager } from './clients/producer-manager.js';
import type { PullRequestHoldService } from './delivery/pull-request-hold-service.js';
import type { QueueLockManager } from './state/queue-lock-manager.js';
import type { ResolvedBrokerOptions } from './broker-options.js';
import type { ResourceAccess } from './access/resource-access.js';
import type { SubscriptionGroupManager } from './state/subscription-group-manager.js';
import type { TopicConfigManager } from './state/topic-config-manager.js';
import type { TransactionProgress } from './state/transaction-progress.js';
import type { DistributedLockService } from './locks/distributed-lock-service.js';
import type { IdSequences } from './state/id-sequences.js';
import type { QuotaEnforcer } from './quotas/quota-enforcer.js';
import type { JobSchedulerService } from './scheduler/job-scheduler-service.js';
import type { TccLog } from './state/tcc-log.js';
import type { MessageStore } from '../storage/index.js';
import type { StoreReader } from './store-reader.js';
import type { ReplicaReads } from './replication/replica-reads.js';
import type { TrafficCounters } from './metrics/traffic-counters.js';

export interface BrokerContext {
  readonly options: ResolvedBrokerOptions;
  /** Reads only: messages are written through `writer`. */
  readonly store: StoreReader;
  readonly topics: TopicConfigManager;
  readonly groups: SubscriptionGroupManager;
  readonly offsets: ConsumerOffsetManager;
  /** Orderly consumers' queue locks. */
  readonly locks: QueueLockManager;
  /** Where each transaction stands (half messages committed, rolled back, checked). */
  readonly transactions: TransactionProgress;
  /** Distributed locks, read-write locks and semaphores (broker/locks/). */
  readonly distributedLocks: DistributedLockService;
  /** Unique id sequences and snowflake worker leases (broker/ids/). */
  readonly ids: IdSequences;
  /** Rate limit quotas on produce and pull (broker/quotas/). */
  readonly quotas: QuotaEnforcer;
  /** The config centre's items, versions and gray releases (broker/config-centre/). */
  readonly configCentre: ConfigStore;
  /** The job scheduler (broker/scheduler/). */
  readonly scheduler: JobSchedulerService;
  /** The TCC coordinator's global and branch log (broker/tcc/). */
  readonly tcc: TccLog;
  readonly consumers: ConsumerManager;
  readonly producers: ProducerManager;
  readonly holds: PullRequestHoldService;
  readonly writer: MessageWriter;
  /** Access control over resources a request points at (see resource-access.ts). */
  readonly access: ResourceAccess;
  /** Messages and bytes in and out, read by the metrics when scraped. */
  readonly traffic: TrafficCounters;
  /** Whether pulls far behind the log end are sent to a replica (broker/replication/). */
  readonly replicaReads: ReplicaReads;
  /** 'ip:port' clients use for this broker. */
  readonly address: string;
  /** The same as STOREHOST, for offset message ids. */
  readonly storeHost: HostAddressLike;
  /** Deletes a deleted topic's consume queue files (the one store change besides appends). */
  deleteTopicQueues(topic: string): Promise<boolean>;
  /** Re-registers with the name servers soon (after topic changes). */
  registerSoon(): void;
}
