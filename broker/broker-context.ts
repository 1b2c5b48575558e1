// What the broker's processors and services share.
import type { HostAddressLike } from './broker-address.js';
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
