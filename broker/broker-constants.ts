// Every default and limit of the broker and name server, each with its unit in its name.

export const NAME_SERVER_PORT_DEFAULT = 9876;
export const BROKER_PORT_DEFAULT = 10911;
export const HA_PORT_DEFAULT = 10912;
/** Health and metrics (RocketMQ exporter's Prometheus port). */
export const HTTP_PORT_DEFAULT = 5557;
export const DATA_DIRECTORY_DEFAULT = './data';
export const BROKER_NAME_DEFAULT = 'broker-a';
export const CLUSTER_NAME_DEFAULT = 'DefaultCluster';

/** Queues of a topic created without an explicit count. */
export const TOPIC_QUEUE_COUNT_DEFAULT = 8;
/** Retry topics have one queue (RocketMQ retryQueueNums), DLQ topics too. */
export const RETRY_QUEUE_COUNT = 1;
export const DLQ_QUEUE_COUNT = 1;
export const MAX_RECONSUME_TIMES_DEFAULT = 16;

/** Brokers re-register every 30 s and expire from a name server after 120 s of silence. */
export const REGISTER_INTERVAL_MS_DEFAULT = 30_000;
export const BROKER_EXPIRY_MS_DEFAULT = 120_000;
export const BROKER_EXPIRY_SCAN_INTERVAL_MS_DEFAULT = 10_000;
export const REGISTER_TIMEOUT_MS = 6000;

/** Clients silent this long are dropped from their groups. */
export const CLIENT_EXPIRY_MS_DEFAULT = 120_000;
export const CLIENT_EXPIRY_SCAN_INTERVAL_MS_DEFAULT = 10_000;

/** A held pull waits at most this long even if the client asks for more. */
export const PULL_SUSPEND_MS_MAX = 30_000;
/** Pull responses stop adding records past this many bytes (frames are capped at 16 MiB). */
export const PULL_RESPONSE_BYTES_MAX = 4 * 1024 * 1024;
export const PULL_BATCH_COUNT_MAX = 1024;

/** Queues of the internal state topic, one per state machine. */
export const STATE_QUEUE = {
  topicConfig: 0,
  subscriptionGroup: 1,
  consumerOffset: 2,
  scheduleProgress: 3,
  transactionState: 4,
} as const;

/** RocketMQ's 18 delay levels in ms: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h. */
export const DELAY_LEVELS_MS_DEFAULT: readonly number[] = [
  1000, 5000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000,
  1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

export const SYSTEM_TOPIC = {
  autoCreate: 'TBW102',
  schedule: 'SCHEDULE_TOPIC_XXXX',
  transactionHalf: 'RMQ_SYS_TRANS_HALF_TOPIC',
  transactionOp: 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  transactionCheckMax: 'TRANS_CHECK_MAX_TIME_TOPIC',
} as const;

export const RETRY_TOPIC_PREFIX = '%RETRY%';
export const DLQ_TOPIC_PREFIX = '%DLQ%';
