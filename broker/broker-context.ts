// What the broker's processors and services share.
import type { HostAddressLike } from './broker-address.js';
import type { ConsumerManager } from './consumer-manager.js';
import type { ConsumerOffsetManager } from './consumer-offset-manager.js';
import type { MessageWriter } from './message-writer.js';
import type { ProducerManager } from './producer-manager.js';
import type { PullRequestHoldService } from './pull-request-hold-service.js';
import type { QueueLockManager } from './queue-lock-manager.js';
import type { ResolvedBrokerOptions } from './broker-options.js';
import type { ResourceAccess } from './resource-access.js';
import type { SubscriptionGroupManager } from './subscription-group-manager.js';
import type { TopicConfigManager } from './topic-config-manager.js';
import type { TransactionProgress } from './transaction-progress.js';
import type { MessageStore } from '../storage/index.js';

export interface BrokerContext {
  readonly options: ResolvedBrokerOptions;
  readonly store: MessageStore;
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
  /** 'ip:port' clients use for this broker. */
  readonly address: string;
  /** The same as STOREHOST, for offset message ids. */
  readonly storeHost: HostAddressLike;
  /** Re-registers with the name servers soon (after topic changes). */
  registerSoon(): void;
}
