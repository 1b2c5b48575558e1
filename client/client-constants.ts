// Every default and limit of the client, each with its unit in its name (ARCHITECTURE.md §2).
export const REQUEST_TIMEOUT_MS_DEFAULT = 3000;
export const ROUTE_REFRESH_INTERVAL_MS_DEFAULT = 30_000;
export const HEARTBEAT_INTERVAL_MS_DEFAULT = 30_000;
/** Pause before re-running a handler whose message could not be sent back (RocketMQ: 5 s). */
export const LOCAL_RETRY_DELAY_MS = 5000;
/** RocketMQ's rebalance.lockInterval and its client-side lock expiry (the broker keeps 60 s). */
export const LOCK_RENEW_INTERVAL_MS_DEFAULT = 20_000;
export const LOCK_EXPIRY_MS_DEFAULT = 30_000;
/** How long a released queue waits for its running handlers before committing anyway. */
export const RELEASE_WAIT_MS = 10_000;
export const DEDUPLICATION_WINDOW_MS_DEFAULT = 10 * 60_000;
export const DEDUPLICATION_ENTRIES_MAX_DEFAULT = 100_000;
/** RocketMQ's suspendCurrentQueueTimeMillis. */
export const SUSPEND_MS_DEFAULT = 1000;
export const PULL_SUSPEND_MS = 15_000;
/** The pull request's own timeout: longer than the broker may hold it. */
export const PULL_TIMEOUT_MS = 30_000;
export const PULL_ERROR_BACKOFF_MS = 1000;
/** Messages a consumer asks for per pull (PushConsumer pullBatchSize; see its doc comment). */
export const PULL_BATCH_SIZE_DEFAULT = 512;
/** Messages one queue may hold pulled and unprocessed (RocketMQ pullThresholdForQueue). */
export const PREFETCH_COUNT_PER_QUEUE_DEFAULT = 1000;
/**
 * Body bytes one queue may hold pulled and unprocessed. RocketMQ's pullThresholdSizeForQueue is
 * 100 MiB; a Node heap is smaller than a JVM's (about 2-4 GiB by default), and a consumer of 8
 * queues could hold 800 MiB at that, so the default is lower.
 */
export const PREFETCH_BYTES_PER_QUEUE_DEFAULT = 16 * 1024 * 1024;
/** Checks being answered at once; more are dropped and asked again (RocketMQ's 2000). */
export const CHECKS_IN_FLIGHT_MAX = 2000;
/** Latency charged to a broker whose request failed outright. */
export const FAILURE_LATENCY_MS = 10_000;
export const RETRIES_DEFAULT = 2;
export const MESSAGE_BYTES_MAX_DEFAULT = 4 * 1024 * 1024;
export const BATCH_COUNT_MAX_DEFAULT = 256;
export const BATCH_BYTES_MAX_DEFAULT = 1024 * 1024;
/**
 * Batch requests of plain (unordered) sends one queue may have in flight at once, so the broker
 * appends one while the client encodes the next. Ordered sends (a sharding key) keep one.
 */
export const PLAIN_SEND_REQUESTS_IN_FLIGHT_PER_QUEUE = 2;
/**
 * Body bytes of one event-loop turn's plain sends that go to one queue before the next queue
 * takes the rest (and one batch's count at most).
 */
export const PLAIN_SEND_BURST_BYTES_MAX = 32 * 1024;
/** The first busy retry waits between half this and this. */
export const BUSY_RETRY_BASE_MS = 50;
/** No busy retry waits longer than this. */
export const BUSY_RETRY_MAX_MS = 2000;
export const DEAD_LETTER_PAGE_COUNT_DEFAULT = 32;
/** Copies of one message in a retry or dead-letter topic: one per failed delivery at most. */
export const COPIES_MAX = 64;
export const TOPIC_QUEUE_COUNT_DEFAULT = 8;
/** RocketMQ's broker id of a master; others are slaves. */
export const MASTER_BROKER_ID = '0';
/** RocketMQ's default instanceName: clients that name none share one instance per process. */
export const INSTANCE_NAME_DEFAULT = 'DEFAULT';
