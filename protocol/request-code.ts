// Request codes of RocketMQ's remoting protocol (RocketMQ 4.x RequestCode), then
// Tributary's own (TRIBUTARY_*, at the end). Numbers are the wire contract with every RocketMQ
// 4.x client; they never change.

export const REQUEST_CODE = {
  SEND_MESSAGE: 10,
  PULL_MESSAGE: 11,
  QUERY_MESSAGE: 12,
  QUERY_CONSUMER_OFFSET: 14,
  UPDATE_CONSUMER_OFFSET: 15,
  UPDATE_AND_CREATE_TOPIC: 17,
  GET_ALL_TOPIC_CONFIG: 21,
  GET_BROKER_RUNTIME_INFO: 28,
  SEARCH_OFFSET_BY_TIMESTAMP: 29,
  GET_MAX_OFFSET: 30,
  GET_MIN_OFFSET: 31,
  GET_EARLIEST_MSG_STORETIME: 32,
  VIEW_MESSAGE_BY_ID: 33,
  HEART_BEAT: 34,
  UNREGISTER_CLIENT: 35,
  CONSUMER_SEND_MSG_BACK: 36,
  END_TRANSACTION: 37,
  GET_CONSUMER_LIST_BY_GROUP: 38,
  CHECK_TRANSACTION_STATE: 39,
  NOTIFY_CONSUMER_IDS_CHANGED: 40,
  LOCK_BATCH_MQ: 41,
  UNLOCK_BATCH_MQ: 42,
  GET_ALL_CONSUMER_OFFSET: 43,
  GET_ALL_DELAY_OFFSET: 45,
  PUT_KV_CONFIG: 100,
  REGISTER_BROKER: 103,
  UNREGISTER_BROKER: 104,
  GET_ROUTEINFO_BY_TOPIC: 105,
  GET_BROKER_CLUSTER_INFO: 106,
  UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: 200,
  GET_ALL_SUBSCRIPTIONGROUP_CONFIG: 201,
  GET_TOPIC_STATS_INFO: 202,
  GET_CONSUMER_CONNECTION_LIST: 203,
  DELETE_TOPIC_IN_BROKER: 215,
  DELETE_TOPIC_IN_NAMESRV: 216,
  GET_ALL_TOPIC_LIST_FROM_NAMESERVER: 206,
  DELETE_SUBSCRIPTIONGROUP: 207,
  GET_CONSUME_STATS: 208,
  /** Broker to client: the group's offsets of a topic were reset (body: reset-offset-body.ts). */
  RESET_CONSUMER_CLIENT_OFFSET: 220,
  /** Admin to broker: topic, group, timestamp, isForce (+ Tributary's position, offset). */
  INVOKE_BROKER_TO_RESET_OFFSET: 222,
  QUERY_TOPIC_CONSUME_BY_WHO: 300,
  SEND_MESSAGE_V2: 310,
  SEND_BATCH_MESSAGE: 320,
  QUERY_DATA_VERSION: 322,
  BROKER_HEARTBEAT: 904,
  // Tributary's own requests, from 20000 up: RocketMQ's highest code is 3543 (5.x), and the
  // binary header carries codes as int16, so 20000-32767 stays clear of both.
  /** Dead letters of a group: extFields group, offset, maxCount; body = records as in a pull. */
  TRIBUTARY_QUERY_DEAD_LETTERS: 20001,
  /** Re-sends a dead letter (group, msgId) to the group's %RETRY% topic with reconsumeTimes 0. */
  TRIBUTARY_RESEND_DEAD_LETTER: 20002,
  // Distributed locks (21000-21099; bodies in broker/locks/lock-request-processor.ts).
  /** Acquire (or try) a lock; the answer is held while the request waits in the queue. */
  TRIBUTARY_LOCK_ACQUIRE: 21000,
  /** Release a lock by its owner token. */
  TRIBUTARY_LOCK_RELEASE: 21001,
  /** Renew a lease by its owner token (also re-binds the holder to this connection). */
  TRIBUTARY_LOCK_RENEW: 21002,
  /** Holders and waiters of one lock. */
  TRIBUTARY_LOCK_STATUS: 21003,
  /** Every held lock. */
  TRIBUTARY_LOCK_LIST: 21004,
  /** Keeps a lock client's connection open (the broker closes idle ones) while it holds or waits. */
  TRIBUTARY_LOCK_KEEPALIVE: 21005,
  /** Broker to client, oneway: a lease ended (expired or taken back); body JSON {name, token, fence, reason}. */
  TRIBUTARY_LOCK_LOST: 21050,
  // Unique ids (21200-21299; broker/ids/, client/ids/). Fields in extFields, answers likewise.
  /** Creates a sequence: sequence, start, step. Idempotent for the same start and step. */
  TRIBUTARY_ID_CREATE_SEQUENCE: 21200,
  /** Takes `count` ids of a sequence: answer first, step, count (logged before the answer). */
  TRIBUTARY_ID_TAKE_RANGE: 21201,
  /** Leases (or renews) a snowflake worker id: space, holder, ttlMs, workerCount[, workerId]. */
  TRIBUTARY_ID_LEASE_WORKER: 21202,
  /** Releases a worker id lease: space, holder, workerId. */
  TRIBUTARY_ID_RELEASE_WORKER: 21203,
  /** Lists sequences: body = JSON [{name, next, step}]. */
  TRIBUTARY_ID_LIST_SEQUENCES: 21204,
  // Rate limits (21300-21399; broker/quotas/). Bodies JSON.
  /** Sets a quota: body {scope, name, messagesPerS?, bytesPerS?, pullsPerS?}. */
  TRIBUTARY_QUOTA_SET: 21300,
  /** Deletes a quota: extFields scope, name. */
  TRIBUTARY_QUOTA_DELETE: 21301,
  /** Lists quotas: body = JSON [{scope, name, ...}]. */
  TRIBUTARY_QUOTA_LIST: 21302,
  // Config centre, 21100-21199 (ARCHITECTURE.md §2); JSON bodies (broker/config-centre/config-request.ts).
  CONFIG_PUBLISH: 21100,
  CONFIG_GET: 21101,
  /** Long poll: held until a watched namespace passes the revision the client knows, or the hold ends. */
  CONFIG_WATCH: 21102,
  CONFIG_HISTORY: 21103,
  CONFIG_ROLLBACK: 21104,
  CONFIG_DELETE: 21105,
  CONFIG_PROMOTE: 21106,
  CONFIG_ABANDON: 21107,
  // Job scheduler (21400-21499; ARCHITECTURE.md §2), JSON bodies (broker/scheduler/job-scheduler-processor.ts).
  JOB_EXECUTOR_REGISTER: 21400,
  JOB_EXECUTOR_HEARTBEAT: 21401,
  JOB_EXECUTOR_POLL: 21402,
  JOB_EXECUTOR_REPORT: 21403,
  JOB_EXECUTOR_UNREGISTER: 21404,
  JOB_PUT: 21410,
  JOB_DELETE: 21411,
  JOB_LIST: 21412,
  JOB_DESCRIBE: 21413,
  JOB_TRIGGER: 21414,
  JOB_PAUSE: 21415,
  JOB_RESUME: 21416,
  JOB_CANCEL: 21417,
  JOB_RUNS: 21418,
  JOB_EXECUTORS: 21419,
  // TCC coordinator (21500-21599; broker/tcc/, bodies JSON: protocol/tcc-status.ts).
  /** Initiator: a new global transaction (extFields timeoutMs); answers extFields xid. */
  TCC_BEGIN: 21500,
  /** Initiator: runs a branch's try on its participant through the coordinator (xid, resource; body payload). */
  TCC_TRY: 21501,
  /** Initiator or admin: decide commit (xid). */
  TCC_COMMIT: 21502,
  /** Initiator or admin: decide rollback (xid). */
  TCC_ROLLBACK: 21503,
  /** Participant: serve these resources (extFields resources, comma separated). */
  TCC_REGISTER_PARTICIPANT: 21504,
  /** Broker to participant, oneway: run try, confirm or cancel (xid, resource, action; body payload). */
  TCC_BRANCH_ACTION: 21505,
  /** Participant: the outcome of a branch action (xid, resource, action, ok, reason). */
  TCC_BRANCH_REPORT: 21506,
  /** Status of one global transaction and its branches (xid); body JSON. */
  TCC_STATUS: 21507,
  /** Unfinished global transactions (and the newest finished ones); body JSON. */
  TCC_LIST: 21508,
  /** A master's replication address (extFields haAddress, 'host:port'; '' when it serves none). */
  TRIBUTARY_REPLICATION_ADDRESS: 21600,
  /** Replication status, JSON body: role, logEnd, replicas (acked, flushed, in sync) or the follower's view. */
  TRIBUTARY_REPLICATION_STATUS: 21601,
  /**
   * Never sent on the client port: the code a replica signs into its HA auth frame
   * (broker/replication/replica-auth.ts), so the master checks it as an admin-only request.
   */
  TRIBUTARY_REPLICATION_STREAM: 21602,
} as const;

export type RequestCode = (typeof REQUEST_CODE)[keyof typeof REQUEST_CODE];
