// Options of startBroker and their defaults.
import type { MessageStoreOptions, FlushMode } from '../storage/index.js';
import {
  BROKER_NAME_DEFAULT,
  BROKER_PORT_DEFAULT,
  CLIENT_EXPIRY_MS_DEFAULT,
  CLIENT_EXPIRY_SCAN_INTERVAL_MS_DEFAULT,
  CLUSTER_NAME_DEFAULT,
  DATA_DIRECTORY_DEFAULT,
  DELAY_LEVELS_MS_DEFAULT,
  REGISTER_INTERVAL_MS_DEFAULT,
  TOPIC_QUEUE_COUNT_DEFAULT,
} from './broker-constants.js';

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
  /** Name servers to register with, 'host:port' each. */
  nameServers?: readonly string[];
  flush?: FlushMode;
  /** Create a topic on first send to it (default false). */
  autoCreateTopics?: boolean;
  defaultTopicQueueCount?: number;
  registerIntervalMs?: number;
  clientExpiryMs?: number;
  clientExpiryScanIntervalMs?: number;
  /** The delay of each level in ms, level 1 first (default RocketMQ's 18 levels). */
  delayLevelsMs?: readonly number[];
  /** Passed to the message store (segment size, retention, ...). */
  store?: MessageStoreOptions;
  /** Where background failures go (default: stderr). */
  onError?: (error: unknown, context: string) => void;
}

export type ResolvedBrokerOptions = Required<Omit<BrokerOptions, 'store'>> & { store: MessageStoreOptions };

export function resolveBrokerOptions(options: BrokerOptions = {}): ResolvedBrokerOptions {
  return {
    dataDirectory: options.dataDirectory ?? DATA_DIRECTORY_DEFAULT,
    host: options.host ?? '0.0.0.0',
    port: options.port ?? BROKER_PORT_DEFAULT,
    advertisedHost: options.advertisedHost ?? '127.0.0.1',
    brokerName: options.brokerName ?? BROKER_NAME_DEFAULT,
    clusterName: options.clusterName ?? CLUSTER_NAME_DEFAULT,
    nameServers: options.nameServers ?? [],
    flush: options.flush ?? 'async',
    autoCreateTopics: options.autoCreateTopics ?? false,
    defaultTopicQueueCount: options.defaultTopicQueueCount ?? TOPIC_QUEUE_COUNT_DEFAULT,
    registerIntervalMs: options.registerIntervalMs ?? REGISTER_INTERVAL_MS_DEFAULT,
    clientExpiryMs: options.clientExpiryMs ?? CLIENT_EXPIRY_MS_DEFAULT,
    clientExpiryScanIntervalMs: options.clientExpiryScanIntervalMs ?? CLIENT_EXPIRY_SCAN_INTERVAL_MS_DEFAULT,
    delayLevelsMs: options.delayLevelsMs ?? DELAY_LEVELS_MS_DEFAULT,
    store: options.store ?? {},
    onError: options.onError ?? ((error, context) => console.error(`tributary broker: ${context}:`, error)),
  };
}
