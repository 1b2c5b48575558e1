// Every default and limit of the broker, each with its unit in its name. The name server's are in
// namesrv/name-server-constants.ts, the shared server transport's in server/server-constants.ts.

/** The remoting port clients and name servers reach the broker on (RocketMQ's listenPort). */
export const BROKER_PORT_DEFAULT = 10911;
/** The master's replication (HA) port, as RocketMQ's haListenPort (client port + 1). */
export const HA_PORT_DEFAULT = 10912;
/** The highest TCP port, for an advertised HA address's check. */
export const TCP_PORT_MAX = 65535;
/** A master's broker id; replicas have ids >= 1 (RocketMQ MixAll.MASTER_ID). */
export const MASTER_BROKER_ID = 0;
/** A sync master acknowledges a send once this many in-sync replicas hold it. */
export const SYNC_REPLICAS_DEFAULT = 1;
/** A sync master waits this long for its replicas before answering FLUSH_SLAVE_TIMEOUT (RocketMQ syncFlushTimeout). */
export const SYNC_REPLICA_TIMEOUT_MS_DEFAULT = 5000;
/** A replica further behind than this many bytes leaves the in-sync set (RocketMQ haMaxGapNotInSync, 256 MiB). */
export const REPLICA_IN_SYNC_LAG_BYTES_MAX = 256 * 1024 * 1024;
/** A replica silent (no report) this long leaves the in-sync set; it reports every REPLICA_REPORT_INTERVAL_MS. */
export const REPLICA_IN_SYNC_SILENCE_MS_MAX = 5000;
/** A replica reports its log end at least this often even with nothing new (RocketMQ haSendHeartbeatInterval). */
export const REPLICA_REPORT_INTERVAL_MS = 1000;
/** A replica retries its master (name server lookup, connect) this often while it has none. */
export const REPLICA_RECONNECT_INTERVAL_MS = 500;
/**
 * A master with nothing new for a replica looks again this soon. Sends wake it at once (the
 * writer's append hook); the poll only picks up what else appends (state machine commands).
 */
export const REPLICATION_IDLE_POLL_MS = 10;
/** A replica reads its master's stream into arenas of this size (read-arena.ts). */
export const REPLICA_READ_ARENA_BYTES = 32 * 1024 * 1024;
/** A replica's socket read is offered at least this much room (else a new arena). */
export const REPLICA_READ_BYTES_MIN = 256 * 1024;
/** A replica keeps this many read arenas whose frames are all applied, to read into again (read-arena.ts). */
export const REPLICA_READ_ARENAS_SPARE_MAX = 2;
/** A replica's lag histogram (replica-lag-histogram.ts) counts lags up to this; longer ones count here. */
export const REPLICA_LAG_MS_MAX = 60_000;
/** A rejoining replica compares at most this many of its last records with its master's before giving up. */
export const REPLICA_TAIL_PROBES_MAX = 1_000_000;
/** A replica reading through a name server or its master gives up on one request after this long. */
export const REPLICA_LOOKUP_TIMEOUT_MS = 3000;
/**
 * Controller mode (`--etcd`, broker/replication/broker-controller.ts): the TTL of the etcd lease
 * a master holds its election with (and each broker its candidacy). A dead master's lease
 * expires within it, so failover takes about this plus an election; the library keeps it
 * alive every third of it.
 */
export const ELECTION_LEASE_TTL_S = 2;
/** A master stops acknowledging writes this long before its lease could expire (clock rate slack). */
export const LEASE_FENCE_MARGIN_MS = 300;
/** A follower publishes its log end to etcd this often (candidates compare them). */
export const CANDIDATE_REPORT_INTERVAL_MS = 250;
/** Once the master is gone, candidates wait this long for each other's final log ends before deciding. */
export const CANDIDATE_SETTLE_MS = 300;
/** A candidate that did not campaign looks again this often (another may have died meanwhile). */
export const CANDIDATE_RECHECK_INTERVAL_MS = 500;
/** A master compares its in-sync set with the one it published in etcd this often. */
export const IN_SYNC_PUBLISH_INTERVAL_MS = 100;
/** One etcd request (not a watch or keepalive stream) gives up after this long. */
export const ETCD_REQUEST_TIMEOUT_MS = 1500;
/** Where a broker set's election, candidates and in-sync set live in etcd: <prefix>/<cluster>/<broker name>/. */
export const ETCD_KEY_PREFIX = 'tributary';
/** Health and metrics (RocketMQ exporter's Prometheus port). */
export const HTTP_PORT_DEFAULT = 5557;
/** Where the broker stores its commit log, queues and state, relative to the working directory. */
export const DATA_DIRECTORY_DEFAULT = './data';
/** The name the broker registers under; brokers of one cluster need distinct names (RocketMQ's default). */
export const BROKER_NAME_DEFAULT = 'broker-a';
/** The cluster the broker registers in (RocketMQ's default, so its tools find it). */
export const CLUSTER_NAME_DEFAULT = 'DefaultCluster';

/** Queues of a topic created without an explicit count. */
export const TOPIC_QUEUE_COUNT_DEFAULT = 8;
/** Retry topics have one queue (RocketMQ retryQueueNums), DLQ topics too. */
export const RETRY_QUEUE_COUNT = 1;
export const DLQ_QUEUE_COUNT = 1;
export const MAX_RECONSUME_TIMES_DEFAULT = 16;

/** Brokers re-register every 30 s (a name server expires them after BROKER_EXPIRY_MS_DEFAULT, 120 s). */
export const REGISTER_INTERVAL_MS_DEFAULT = 30_000;
export const REGISTER_TIMEOUT_MS = 6000;

/** Clients silent this long are dropped from their groups. */
export const CLIENT_EXPIRY_MS_DEFAULT = 120_000;
export const CLIENT_EXPIRY_SCAN_INTERVAL_MS_DEFAULT = 10_000;

/** A held pull waits at most this long even if the client asks for more. */
export const PULL_SUSPEND_MS_MAX = 30_000;
/** Pull responses stop adding records past this many bytes (frames are capped at 16 MiB). */
export const PULL_RESPONSE_BYTES_MAX = 4 * 1024 * 1024;
/** Messages a pull asks for when it names no maxMsgNums (RocketMQ's pullBatchSize, 32). */
export const PULL_BATCH_COUNT_DEFAULT = 32;
export const PULL_BATCH_COUNT_MAX = 1024;

/**
 * A new group's QUERY_CONSUMER_OFFSET answers offset 0 while a queue's first message is still
 * "in memory" (RocketMQ 4.x's rule): within this share of physical memory behind the end of
 * the commit log (RocketMQ's accessMessageInMemoryMaxRatio, 40%). The page cache keeps the
 * newest part of the mapped log resident, so that window is what a read serves from memory.
 */
export const MESSAGE_IN_MEMORY_RATIO_DEFAULT = 0.4;

/** Queues of the internal state topic, one per state machine. */
export const STATE_QUEUE = {
  topicConfig: 0,
  subscriptionGroup: 1,
  consumerOffset: 2,
  scheduleProgress: 3,
  transactionState: 4,
  queueLock: 5,
  distributedLock: 6,
  uniqueIds: 8,
  quotas: 9,
  configCentre: 7,
  /** Job scheduler: jobs, fires and runs (11 is reserved for it too). */
  jobScheduler: 10,
  /** TCC coordinator: global and branch log in one queue, so replay keeps their order (13 kept spare). */
  tccLog: 12,
} as const;

/** An orderly consumer's queue lock lives this long after its last renewal (RocketMQ lockMaxLiveTime). */
export const QUEUE_LOCK_LIFETIME_MS_DEFAULT = 60_000;
/** Queues one LOCK_BATCH_MQ or UNLOCK_BATCH_MQ may name. */
export const LOCK_BATCH_QUEUES_MAX = 4096;

/** RocketMQ's 18 delay levels in ms: 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h. */
export const DELAY_LEVELS_MS_DEFAULT: readonly number[] = [
  1000, 5000, 10_000, 30_000, 60_000, 120_000, 180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000,
  1_200_000, 1_800_000, 3_600_000, 7_200_000,
];

/**
 * The furthest ahead a deliverAt may lie (RocketMQ 5's timerMaxDelaySec, 3 days). A held
 * message keeps its segment from retention until it is delivered, so this also bounds how
 * long one message can pin the log.
 */
export const TIMER_DELAY_MS_MAX = 3 * 24 * 3_600_000;

/**
 * The topics a broker keeps for itself (delayed messages, transaction half messages and the like),
 * for tools that open a stopped broker's store.
 */
export const SYSTEM_TOPIC = {
  autoCreate: 'TBW102',
  schedule: 'SCHEDULE_TOPIC_XXXX',
  /** Messages held until an absolute time (deliverAt), in arrival order; one queue. */
  timer: 'TRIBUTARY_TIMER',
  transactionHalf: 'RMQ_SYS_TRANS_HALF_TOPIC',
  transactionOp: 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  transactionCheckMax: 'TRANS_CHECK_MAX_TIME_TOPIC',
  /** Job fires, each held on the timer topic until its due time, then read by the scheduler. */
  jobFire: 'TRIBUTARY_JOB_FIRE',
  /** One epoch record (broker/replication/epoch-record.ts) per master a set elected through etcd. */
  epoch: 'TRIBUTARY_EPOCH',
} as const;

/** The producer group every RocketMQ client announces for its internal producer (MixAll). */
export const CLIENT_INNER_PRODUCER_GROUP = 'CLIENT_INNER_PRODUCER';

/**
 * Transaction check-back (RocketMQ's transactionTimeOut, 5.x transactionCheckInterval and
 * transactionCheckMax): a half message younger than the timeout is not checked yet; open ones
 * are checked back once per interval, at most CHECK_MAX times, then moved to the check-max topic.
 */
export const TRANSACTION_TIMEOUT_MS_DEFAULT = 6000;
export const TRANSACTION_CHECK_INTERVAL_MS_DEFAULT = 30_000;
export const TRANSACTION_CHECK_MAX_DEFAULT = 15;

/**
 * Access control (RocketMQ ACL 1.0). Keys shorter than 6 characters are refused, as RocketMQ
 * refuses them. An ACL file is checked for changes this often and reloaded (RocketMQ's
 * plain_acl.yml is hot-reloaded too); a file that fails validation leaves the old list in force.
 */
export const ACCESS_KEY_CHARS_MIN = 6;
export const SECRET_KEY_CHARS_MIN = 6;
export const ACL_RELOAD_INTERVAL_MS_DEFAULT = 2000;
/** Names from a request (access keys, topics) are cut to this length in denial remarks. */
export const ACL_REMARK_NAME_CHARS_MAX = 100;
/**
 * An account with `requireSignedCode` refuses a request signed further than this from the
 * broker's clock, either way. Five minutes is the skew AWS Signature V4 and Kerberos accept:
 * NTP-synced hosts stay far inside it, and it bounds how long a captured request stays usable.
 */
export const SIGNED_REQUEST_CLOCK_SKEW_MS_MAX = 5 * 60_000;
/**
 * Signatures remembered to refuse an exact replay within that window (about 100 bytes each, so
 * ~10 MiB at most). Past it the oldest are forgotten: a broker taking more signed requests
 * than this per window of requireSignedCode accounts no longer refuses every replay.
 */
export const SIGNATURE_REPLAY_CACHE_ENTRIES_MAX = 100_000;

/** Reported in GET_BROKER_RUNTIME_INFO (brokerVersionDesc); kept equal to package.json's version (a test checks). */
export const BROKER_VERSION = '0.1.0';

/**
 * Metrics label cardinality (broker/metrics/, option metricLabelsMax): the first this many topics, and consumer groups,
 * get labels of their own; later ones are counted under `_other`, so a client creating names
 * without end cannot grow the scrape or the scraper's storage without bound.
 */
export const METRIC_LABELS_MAX_DEFAULT = 500;
/** The label value topics and groups past those limits share. */
export const METRIC_OTHER_LABEL = '_other';
/**
 * rocketmq_finish_message_latency's buckets, seconds: RocketMQ 5's, from a half message stored
 * to its commit or rollback (check-backs make minutes and hours ordinary).
 */
export const TRANSACTION_FINISH_LATENCY_BUCKETS_S: readonly number[] = [5, 60, 600, 3600, 43200, 86400];

// Distributed locks (broker/locks/, issue 13).
/** A lock lease (grant or renewal) lasts at least this long... */
export const DISTRIBUTED_LOCK_LEASE_MS_MIN = 100;
/** ...and at most this long; a holder renews to keep it. */
export const DISTRIBUTED_LOCK_LEASE_MS_MAX = 3_600_000;
/** The longest an acquire may wait in the queue (setTimeout's limit is about 24.8 days). */
export const DISTRIBUTED_LOCK_WAIT_MS_MAX = 24 * 3_600_000;
/** Lock names are at most this many UTF-8 bytes; owner tokens likewise. */
export const DISTRIBUTED_LOCK_NAME_BYTES_MAX = 255;
export const DISTRIBUTED_LOCK_TOKEN_BYTES_MAX = 128;
/** Waiters queued on one lock; beyond it an acquire is refused (LOCK_QUEUE_FULL). */
export const DISTRIBUTED_LOCK_WAITERS_MAX = 10_000;
/** Locks one connection may hold or wait for at once; beyond it an acquire is refused (LOCK_TOO_MANY). */
export const DISTRIBUTED_LOCK_PER_CONNECTION_MAX = 10_000;
/**
 * At every start the fencing counter leaps by this much (a logged command), above any token a
 * grant lost in an OS crash under async flush may have shown: no broker hands out 2^30 grants
 * in one flush interval. 2^53 / 2^30 leaves room for 8 million restarts.
 */
export const DISTRIBUTED_LOCK_FENCE_RESTART_GAP = 2 ** 30;
/** Holders a semaphore may admit. */
export const DISTRIBUTED_LOCK_PERMITS_MAX = 65_536;
/** Locks one LOCK_LIST answer names. */
export const DISTRIBUTED_LOCK_LIST_MAX = 10_000;
// ---- unique ids (broker/ids/, state queue 8) ----
/** Ids one TAKE_RANGE may take: a client's range never spans more than this. */
export const ID_RANGE_COUNT_MAX = 10_000_000;
/** Sequences one broker keeps (each a few dozen bytes of state). */
export const ID_SEQUENCES_MAX = 100_000;
/** Sequence names: like topic names, at most this long. */
export const ID_SEQUENCE_NAME_CHARS_MAX = 127;
/** Worker ids one snowflake space may hand out (2^16: no layout needs more worker bits). */
export const ID_WORKER_COUNT_MAX = 65_536;
/** A worker id lease lasts at least this long (renewals every third of it must be practical). */
export const ID_WORKER_LEASE_TTL_MS_MIN = 1_000;
/** A worker id lease lasts at most this long. */
export const ID_WORKER_LEASE_TTL_MS_MAX = 10 * 60_000;
/**
 * A worker id is handed to a new holder only this long after its last lease expired. It must
 * exceed the clock skew allowed between id generators: a new holder whose clock is behind the old
 * holder's by less than this starts past every timestamp the old holder used.
 */
export const ID_WORKER_REUSE_MARGIN_MS = 10_000;

// ---- rate limits (broker/quotas/, state queue 9) ----
/** Quotas one broker keeps. */
export const QUOTAS_MAX = 100_000;
/**
 * A bucket holds this long a stretch of its rate (at least one token), so requests arriving a
 * little unevenly under the rate are not refused, while a burst past it stays short.
 */
export const QUOTA_BURST_MS = 100;
/** Highest rate a quota may set, per second (messages, bytes or pulls). */
export const QUOTA_RATE_PER_S_MAX = 1e12;
/** The retry-after hint is at least this long, so a refused client does not come back at once. */
export const QUOTA_RETRY_AFTER_MS_MIN = 1;
/** ... and at most this long, so a client never sleeps for minutes on one hint. */
export const QUOTA_RETRY_AFTER_MS_MAX = 10_000;
