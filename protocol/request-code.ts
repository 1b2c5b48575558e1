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
  /** A master's replication address (extFields haAddress, 'host:port'; '' when it serves none). */
  TRIBUTARY_REPLICATION_ADDRESS: 21600,
  /** Replication status, JSON body: role, logEnd, replicas (acked, flushed, in sync) or the follower's view. */
  TRIBUTARY_REPLICATION_STATUS: 21601,
} as const;

export type RequestCode = (typeof REQUEST_CODE)[keyof typeof REQUEST_CODE];
