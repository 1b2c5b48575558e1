// Response codes of RocketMQ's remoting protocol (RocketMQ 4.x ResponseCode).

export const RESPONSE_CODE = {
  SUCCESS: 0,
  SYSTEM_ERROR: 1,
  SYSTEM_BUSY: 2,
  REQUEST_CODE_NOT_SUPPORTED: 3,
  FLUSH_DISK_TIMEOUT: 10,
  SLAVE_NOT_AVAILABLE: 11,
  FLUSH_SLAVE_TIMEOUT: 12,
  MESSAGE_ILLEGAL: 13,
  SERVICE_NOT_AVAILABLE: 14,
  VERSION_NOT_SUPPORTED: 15,
  NO_PERMISSION: 16,
  TOPIC_NOT_EXIST: 17,
  PULL_NOT_FOUND: 19,
  PULL_RETRY_IMMEDIATELY: 20,
  PULL_OFFSET_MOVED: 21,
  QUERY_NOT_FOUND: 22,
  SUBSCRIPTION_PARSE_FAILED: 23,
  SUBSCRIPTION_NOT_EXIST: 24,
  SUBSCRIPTION_NOT_LATEST: 25,
  SUBSCRIPTION_GROUP_NOT_EXIST: 26,
  TRANSACTION_SHOULD_COMMIT: 200,
  TRANSACTION_SHOULD_ROLLBACK: 201,
  TRANSACTION_STATE_UNKNOW: 202,
  CONSUMER_NOT_ONLINE: 206,
  NO_MESSAGE: 208,
  // Distributed locks (Tributary's own, in the locks' range 21000-21099).
  /** A try-lock found the lock taken. */
  LOCK_BUSY: 21001,
  /** An acquire waited its whole wait time. */
  LOCK_WAIT_TIMEOUT: 21002,
  /** Release or renew by a token that holds no lease on the lock (not the owner, or expired). */
  LOCK_NOT_HELD: 21003,
  /** The lock exists as another kind (mutex, rw, semaphore) or with other permits. */
  LOCK_KIND_MISMATCH: 21004,
  /** The token already holds or waits for the lock. */
  LOCK_ALREADY_HELD: 21005,
  /** The lock's wait queue is full. */
  LOCK_QUEUE_FULL: 21006,
  /** The request is malformed (name, token, lease, wait, kind). */
  LOCK_BAD_REQUEST: 21007,
  /** The connection already holds or waits for as many locks as one connection may. */
  LOCK_TOO_MANY: 21008,
} as const;

export type ResponseCode = (typeof RESPONSE_CODE)[keyof typeof RESPONSE_CODE];

const NAMES = new Map<number, string>(Object.entries(RESPONSE_CODE).map(([name, code]) => [code, name]));

/** The name of a response code, or UNKNOWN_<n>. */
export function responseCodeName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN_${code}`;
}
